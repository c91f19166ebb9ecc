#include "support/fake_upstream.hpp"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "agw/core/task.hpp"

namespace agw::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kIoTimeout{30};
constexpr std::chrono::milliseconds kMidBodyPause{50};

// ---- certificates ----------------------------------------------------------------------------

template <class T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO, BIO_free_all>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("UpstreamTls::generate: ") + what + " failed");
}

void add_ext(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  const int ok = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(ok == 1, "X509_add_ext");
}

// A certificate for `key` named `common_name`, signed by `issuer_key` (self-signed when
// `issuer` is null).
X509Ptr make_cert(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key,
                  const std::vector<std::pair<int, std::string>>& exts) {
  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr,
        "serial");
  BN_free(bn);
  check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600) != nullptr, "notAfter");
  check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
  X509_NAME* name = X509_get_subject_name(cert.get());
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("agw tests"), -1, -1,
                                   0) == 1,
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                   -1, 0) == 1,
        "subject CN");
  X509* signer = issuer ? issuer : cert.get();
  check(X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) == 1, "issuer");
  for (const auto& [nid, value] : exts) add_ext(cert.get(), signer, nid, value);
  check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "X509_sign");
  return cert;
}

void write_pem(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  check(bio != nullptr, "BIO_new_file");
  if (cert) check(PEM_write_bio_X509(bio.get(), cert) == 1, "PEM_write_bio_X509");
  if (key) {
    check(PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
  }
}

// Temporary directories removed at exit.
class TempDirs {
 public:
  ~TempDirs() {
    std::error_code ignored;
    for (const auto& dir : dirs_) std::filesystem::remove_all(dir, ignored);
  }
  std::filesystem::path create() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/agw-tls-XXXXXX";
    check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
    std::lock_guard lock(mutex_);
    dirs_.emplace_back(pattern);
    return pattern;
  }

 private:
  std::mutex mutex_;
  std::vector<std::filesystem::path> dirs_;
};

TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}

// ---- default answers -------------------------------------------------------------------------

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool path_ends_with(std::string_view path, std::string_view suffix) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  return path.size() >= suffix.size() && path.substr(path.size() - suffix.size()) == suffix;
}

std::string error_body(int status, const std::string& message) {
  const char* type = status == 429   ? "rate_limit_error"
                     : status >= 500 ? "server_error"
                                     : "invalid_request_error";
  return json{
      {"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}}
      .dump();
}

// Default bodies, shaped like OpenAI's; ids and "model" are filled in per request.
constexpr std::string_view kModels = R"({"object": "list", "data": [
  {"id": "gpt-4o-mini", "object": "model", "created": 1700000000, "owned_by": "openai"}]})";
constexpr std::string_view kChatCompletion = R"({
  "id": "", "object": "chat.completion", "created": 1700000000, "model": "",
  "choices": [{"index": 0, "logprobs": null, "finish_reason": "stop", "message":
    {"role": "assistant", "content": "Hello from the fake upstream.", "refusal": null}}],
  "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
  "system_fingerprint": "fp_fake"})";
constexpr std::string_view kResponse = R"({
  "id": "", "object": "response", "created_at": 1700000000, "status": "completed",
  "error": null, "incomplete_details": null, "model": "", "store": false,
  "output": [{"type": "message", "id": "", "status": "completed", "role": "assistant",
    "content": [{"type": "output_text", "text": "Hello from the fake upstream.",
                 "annotations": []}]}],
  "usage": {"input_tokens": 9, "output_tokens": 12, "total_tokens": 21,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0}}})";
constexpr std::string_view kEmbedding = R"(
  {"object": "embedding", "index": 0, "embedding": [0.125, -0.25, 0.5]})";
constexpr std::string_view kImages = R"({
  "created": 1700000000,
  "data": [{"revised_prompt": "a fake image", "b64_json":
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="}],
  "usage": {"input_tokens": 9, "output_tokens": 12, "total_tokens": 21,
            "input_tokens_details": {"text_tokens": 9, "image_tokens": 0}}})";

// The default answer for `r` (status, and body when the script left it unset).
Scripted default_answer(const RecordedRequest& r, std::size_t serial) {
  const std::string path = r.target.substr(0, r.target.find('?'));
  const json request = json::parse(r.body, nullptr, false);
  std::string model = "gpt-4o-mini";
  if (request.is_object() && request.contains("model") && request["model"].is_string()) {
    model = request["model"].get<std::string>();
  }
  const std::string id = std::to_string(serial);
  const bool get = r.method == "GET";
  const bool post = r.method == "POST";
  Scripted s;
  json body;
  if (get && path_ends_with(path, "/models")) {
    body = json::parse(kModels);
  } else if (post && path_ends_with(path, "/chat/completions")) {
    body = json::parse(kChatCompletion);
    body["id"] = "chatcmpl-fake" + id;
    body["model"] = model;
  } else if (post && path_ends_with(path, "/responses")) {
    body = json::parse(kResponse);
    body["id"] = "resp_fake" + id;
    body["output"][0]["id"] = "msg_fake" + id;
    body["model"] = model;
  } else if (post && path_ends_with(path, "/embeddings")) {
    // One embedding per input; 5 tokens each.
    std::size_t inputs = 1;
    if (request.is_object() && request.contains("input") && request["input"].is_array()) {
      inputs = std::max<std::size_t>(1, request["input"].size());
    }
    body = {{"object", "list"}, {"data", json::array()}, {"model", model}};
    for (std::size_t i = 0; i < inputs; ++i) {
      json item = json::parse(kEmbedding);
      item["index"] = i;
      body["data"].push_back(std::move(item));
    }
    body["usage"] = {{"prompt_tokens", 5 * inputs}, {"total_tokens", 5 * inputs}};
  } else if (post && path_ends_with(path, "/images/generations")) {
    body = json::parse(kImages);
  } else {
    s.status = 404;
    body = {{"error",
             {{"message", "Unknown request URL: " + r.method + " " + path + "."},
              {"type", "invalid_request_error"},
              {"param", nullptr},
              {"code", "unknown_url"}}}};
  }
  s.body = body.dump();
  return s;
}

std::string reason_phrase(int status) {
  const auto known = bhttp::int_to_status(static_cast<unsigned>(status));
  if (known == bhttp::status::unknown) return "Unknown";
  return std::string(bhttp::obsolete_reason(known));
}

std::string hex(std::size_t n) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%zx", n);
  return buf;
}

std::string chunk(std::string_view data) {
  return hex(data.size()) + "\r\n" + std::string(data) + "\r\n";
}

}  // namespace

UpstreamTls UpstreamTls::generate(const std::string& host_name) {
  PkeyPtr ca_key(EVP_EC_gen("P-256"));
  PkeyPtr server_key(EVP_EC_gen("P-256"));
  check(ca_key && server_key, "EVP_EC_gen");
  std::uint32_t tag = 0;
  check(RAND_bytes(reinterpret_cast<unsigned char*>(&tag), sizeof tag) == 1, "RAND_bytes");
  const std::string ca_name = "agw test CA " + hex(tag);
  const X509Ptr ca = make_cert(ca_key.get(), ca_name, nullptr, nullptr,
                               {{NID_basic_constraints, "critical,CA:TRUE"},
                                {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                {NID_subject_key_identifier, "hash"},
                                {NID_authority_key_identifier, "keyid:always"}});
  std::string san = "DNS:" + host_name;
  if (host_name == "localhost") san += ",IP:127.0.0.1,IP:::1";
  const X509Ptr server = make_cert(server_key.get(), host_name, ca.get(), ca_key.get(),
                                   {{NID_basic_constraints, "critical,CA:FALSE"},
                                    {NID_key_usage, "critical,digitalSignature"},
                                    {NID_ext_key_usage, "serverAuth"},
                                    {NID_subject_alt_name, san},
                                    {NID_subject_key_identifier, "hash"},
                                    {NID_authority_key_identifier, "keyid:always"}});
  const auto dir = temp_dirs().create();
  UpstreamTls out;
  out.ca_file = (dir / "ca.pem").string();
  out.cert_file = (dir / "server.pem").string();
  out.key_file = (dir / "server.key").string();
  out.host_name = host_name;
  write_pem(out.ca_file, ca.get(), nullptr);
  write_pem(out.cert_file, server.get(), nullptr);
  write_pem(out.key_file, nullptr, server_key.get());
  return out;
}

// ---- the server --------------------------------------------------------------------------------

namespace {

// One accepted connection. `socket` and `idle` are only touched on the connection's strand;
// `closed` under Impl::mutex.
struct Conn {
  std::size_t id = 0;
  asio::any_io_executor executor;
  tcp::socket* socket = nullptr;
  bool idle = false;
  bool closed = false;
};

}  // namespace

struct FakeUpstream::Impl {
  std::optional<UpstreamTls> tls;
  std::unique_ptr<ssl::context> ssl_context;  // outlives the io_context (streams refer to it)

  mutable std::mutex mutex;
  std::deque<Scripted> queue;
  std::function<Scripted(const RecordedRequest&)> handler;
  std::vector<RecordedRequest> requests;
  std::size_t accepted = 0;
  std::size_t open = 0;
  std::size_t max_open = 0;
  std::map<std::size_t, std::shared_ptr<Conn>> conns;

  std::unique_ptr<asio::io_context> io;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  std::vector<std::thread> threads;
  std::uint16_t port = 0;

  // Decrements the open count once, whoever closes first (the session or close_idle).
  void mark_closed(Conn& c) {
    std::lock_guard lock(mutex);
    if (!c.closed) {
      c.closed = true;
      --open;
    }
  }

  struct SessionGuard {
    Impl& impl;
    std::shared_ptr<Conn> conn;
    ~SessionGuard() {
      conn->socket = nullptr;
      impl.mark_closed(*conn);
      std::lock_guard lock(impl.mutex);
      impl.conns.erase(conn->id);
    }
  };

  Scripted answer_for(const RecordedRequest& r) {
    std::optional<Scripted> s;
    std::function<Scripted(const RecordedRequest&)> h;
    std::size_t serial = 0;
    {
      std::lock_guard lock(mutex);
      requests.push_back(r);
      serial = requests.size();
      if (!queue.empty()) {
        s = std::move(queue.front());
        queue.pop_front();
      } else {
        h = handler;
      }
    }
    if (!s) s = h ? h(r) : default_answer(r, serial);
    if (!s->body) {
      if (s->status >= 200 && s->status < 300) {
        s->body = default_answer(r, serial).body;
      } else {
        s->body = error_body(s->status, "Scripted error " + std::to_string(s->status) + ".");
      }
    }
    return std::move(*s);
  }

  template <class Stream>
  static void reset(Stream& stream) {
    auto& socket = beast::get_lowest_layer(stream).socket();
    boost::system::error_code ignored;
    socket.set_option(asio::socket_base::linger(true, 0), ignored);
    socket.close(ignored);
  }

  template <class Stream>
  Task<bool> write_all(Stream& stream, const std::string& bytes) {
    beast::get_lowest_layer(stream).expires_after(kIoTimeout);
    auto [ec, n] = co_await asio::async_write(stream, asio::buffer(bytes), kUseTuple);
    co_return !ec;
  }

  Task<void> pause(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(kUseTuple);
  }

  // Serves requests on `stream` until the peer leaves or a script ends the connection.
  template <class Stream>
  Task<void> serve(Stream& stream, Conn& conn) {
    auto& lowest = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer;
    for (;;) {
      if (buffer.size() == 0) {
        // Idle between requests: close_idle_connections() may close the socket now.
        lowest.expires_never();
        conn.idle = true;
        auto [ec, n] = co_await stream.async_read_some(buffer.prepare(16384), kUseTuple);
        conn.idle = false;
        if (ec) co_return;
        buffer.commit(n);
      }
      bhttp::request_parser<bhttp::string_body> parser;
      parser.header_limit(64 * 1024);
      parser.body_limit(std::uint64_t{256} * 1024 * 1024);
      lowest.expires_after(kIoTimeout);
      auto [rec, rn] = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
      if (rec) co_return;
      auto& req = parser.get();

      RecordedRequest recorded;
      recorded.method = std::string(req.method_string());
      recorded.target = std::string(req.target());
      recorded.body = std::move(req.body());
      recorded.connection = conn.id;
      for (const auto& field : req) {
        const std::string name = lower(std::string(field.name_string()));
        auto [it, inserted] = recorded.headers.emplace(name, std::string(field.value()));
        if (!inserted) it->second += ", " + std::string(field.value());
      }
      const bool client_keep_alive = req.keep_alive();
      Scripted s = answer_for(recorded);

      if (s.delay.count() > 0) co_await pause(s.delay);
      if (s.reset_before_response) {
        reset(stream);
        co_return;
      }

      const bool close = s.close_after || !client_keep_alive;
      const std::string& body = *s.body;
      std::string head = "HTTP/1.1 " + std::to_string(s.status) + " " + reason_phrase(s.status) +
                         "\r\nServer: agw-fake-upstream\r\n";
      const auto is_content_type = [](const auto& h) { return lower(h.first) == "content-type"; };
      if (std::none_of(s.headers.begin(), s.headers.end(), is_content_type)) {
        head += "Content-Type: application/json\r\n";
      }
      for (const auto& [name, value] : s.headers) {
        const std::string key = lower(name);
        if (key == "content-length" || key == "transfer-encoding" || key == "connection") continue;
        head += name + ": " + value + "\r\n";
      }
      head += s.chunked ? std::string("Transfer-Encoding: chunked\r\n")
                        : "Content-Length: " + std::to_string(body.size()) + "\r\n";
      if (close) head += "Connection: close\r\n";
      head += "\r\n";

      if (s.reset_mid_body) {
        const std::string_view half = std::string_view(body).substr(0, body.size() / 2);
        const std::string partial = head + (s.chunked ? chunk(half) : std::string(half));
        if (co_await write_all(stream, partial)) co_await pause(kMidBodyPause);
        reset(stream);
        co_return;
      }
      if (s.chunked) {
        if (!co_await write_all(stream, head)) co_return;
        const std::size_t piece = std::max<std::size_t>(1, (body.size() + 2) / 3);
        bool ok = true;
        for (std::size_t at = 0; ok && at < body.size(); at += piece) {
          const std::string piece_bytes = chunk(std::string_view(body).substr(at, piece));
          ok = co_await write_all(stream, piece_bytes);
        }
        if (!ok) co_return;
        // Idle from here: the client may read the end of the answer before this coroutine
        // resumes, and then expect close_idle_connections() to see the connection idle. The
        // bytes reach the kernel when the write starts, on this strand.
        conn.idle = true;
        const std::string last = "0\r\n\r\n";
        if (!co_await write_all(stream, last)) co_return;
      } else {
        conn.idle = true;  // as above
        const std::string whole = head + body;
        if (!co_await write_all(stream, whole)) co_return;
      }
      if (close) {
        // Half-close, then wait briefly for the client to close: closing at once with unread
        // bytes would reset the connection and could destroy the answer just sent.
        boost::system::error_code ignored;
        lowest.socket().shutdown(tcp::socket::shutdown_send, ignored);
        lowest.expires_after(std::chrono::seconds(2));
        static thread_local char sink[4096];
        for (;;) {
          auto [ec, n] = co_await lowest.async_read_some(asio::buffer(sink), kUseTuple);
          if (ec) break;
        }
        lowest.socket().close(ignored);
        co_return;
      }
    }
  }

  Task<void> session(tcp::socket socket, std::shared_ptr<Conn> conn) {
    SessionGuard guard{*this, conn};
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (!ssl_context) {
      beast::tcp_stream stream(std::move(socket));
      conn->socket = &stream.socket();
      co_await serve(stream, *conn);
    } else {
      ssl::stream<beast::tcp_stream> stream(std::move(socket), *ssl_context);
      conn->socket = &beast::get_lowest_layer(stream).socket();
      beast::get_lowest_layer(stream).expires_after(kIoTimeout);
      // Idle during the handshake too: with TLS 1.3 the client is done (and may sit in its
      // pool) before the server has read its Finished message.
      conn->idle = true;
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kUseTuple);
      if (ec) co_return;
      co_await serve(stream, *conn);
    }
  }

  Task<void> accept_loop(tcp::acceptor& acceptor) {
    for (;;) {
      tcp::socket socket(asio::make_strand(*io));
      auto [ec] = co_await acceptor.async_accept(socket, kUseTuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) {
        co_await pause(std::chrono::milliseconds(10));
        continue;
      }
      auto conn = std::make_shared<Conn>();
      conn->executor = socket.get_executor();
      {
        std::lock_guard lock(mutex);
        conn->id = ++accepted;
        max_open = std::max(max_open, ++open);
        conns.emplace(conn->id, conn);
      }
      const auto executor = conn->executor;
      asio::co_spawn(executor, session(std::move(socket), std::move(conn)),
                     [](const std::exception_ptr&) {});
    }
  }
};

FakeUpstream::FakeUpstream(std::optional<UpstreamTls> tls, unsigned threads)
    : impl_(std::make_unique<Impl>()) {
  auto& impl = *impl_;
  impl.tls = std::move(tls);
  if (impl.tls) {
    impl.ssl_context = std::make_unique<ssl::context>(ssl::context::tls_server);
    impl.ssl_context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                  ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                                  ssl::context::no_tlsv1_1);
    impl.ssl_context->use_certificate_chain_file(impl.tls->cert_file);
    impl.ssl_context->use_private_key_file(impl.tls->key_file, ssl::context::pem);
  }
  impl.io = std::make_unique<asio::io_context>(static_cast<int>(std::max(1u, threads)));
  impl.work.emplace(impl.io->get_executor());

  auto v4 = std::make_unique<tcp::acceptor>(*impl.io);
  const tcp::endpoint v4_endpoint(asio::ip::address_v4::loopback(), 0);
  v4->open(v4_endpoint.protocol());
  v4->bind(v4_endpoint);
  v4->listen(asio::socket_base::max_listen_connections);
  impl.port = v4->local_endpoint().port();
  impl.acceptors.push_back(std::move(v4));
  // Best effort: "localhost" may resolve to ::1 first.
  {
    boost::system::error_code ec;
    auto v6 = std::make_unique<tcp::acceptor>(*impl.io);
    const tcp::endpoint v6_endpoint(asio::ip::address_v6::loopback(), impl.port);
    v6->open(v6_endpoint.protocol(), ec);
    if (!ec) v6->set_option(asio::ip::v6_only(true), ec);
    if (!ec) v6->bind(v6_endpoint, ec);
    if (!ec) v6->listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) impl.acceptors.push_back(std::move(v6));
  }
  for (auto& acceptor : impl.acceptors) {
    asio::co_spawn(*impl.io, impl.accept_loop(*acceptor), [](const std::exception_ptr&) {});
  }
  for (unsigned i = 0; i < std::max(1u, threads); ++i) {
    impl.threads.emplace_back([io = impl.io.get()] { io->run(); });
  }
}

FakeUpstream::~FakeUpstream() {
  auto& impl = *impl_;
  impl.work.reset();
  impl.io->stop();
  for (auto& t : impl.threads) t.join();
  // Destroying the io_context destroys the suspended sessions (closing their sockets) while
  // the rest of Impl, which their guards touch, is still alive.
  impl.acceptors.clear();
  impl.io.reset();
}

std::uint16_t FakeUpstream::port() const {
  return impl_->port;
}

std::string FakeUpstream::base_url() const {
  return (impl_->tls ? "https://localhost:" : "http://127.0.0.1:") + std::to_string(impl_->port);
}

void FakeUpstream::push(Scripted s) {
  std::lock_guard lock(impl_->mutex);
  impl_->queue.push_back(std::move(s));
}

void FakeUpstream::set_handler(std::function<Scripted(const RecordedRequest&)> handler) {
  std::lock_guard lock(impl_->mutex);
  impl_->handler = std::move(handler);
}

std::vector<RecordedRequest> FakeUpstream::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::size_t FakeUpstream::connections_accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

std::size_t FakeUpstream::max_concurrent_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->max_open;
}

std::size_t FakeUpstream::open_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->open;
}

std::size_t FakeUpstream::close_idle_connections() {
  std::vector<std::shared_ptr<Conn>> conns;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [id, conn] : impl_->conns) conns.push_back(conn);
  }
  std::vector<std::future<bool>> results;
  for (auto& conn : conns) {
    auto done = std::make_shared<std::promise<bool>>();
    results.push_back(done->get_future());
    asio::post(conn->executor, [impl = impl_.get(), conn, done] {
      bool closed = false;
      if (conn->socket && conn->idle) {
        boost::system::error_code ignored;
        conn->socket->shutdown(tcp::socket::shutdown_both, ignored);
        conn->socket->close(ignored);
        impl->mark_closed(*conn);
        closed = true;
      }
      done->set_value(closed);
    });
  }
  std::size_t count = 0;
  for (auto& r : results) count += r.get() ? 1 : 0;
  return count;
}

}  // namespace agw::test
