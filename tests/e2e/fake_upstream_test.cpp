// The fake OpenAI upstream itself: scripted answers and failures, keep-alive, TLS.
#include "support/fake_upstream.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/http_client.hpp"

using namespace agw::test;
using namespace std::chrono_literals;
using nlohmann::json;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

struct Reply {
  boost::system::error_code ec;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool chunked = false;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

template <class Stream>
Reply exchange(Stream& stream, beast::flat_buffer& buffer, bhttp::verb method,
               const std::string& target, const std::string& body = {}) {
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, "localhost");
  req.set("X-Test", "1");
  if (method == bhttp::verb::post) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
  }
  Reply reply;
  bhttp::write(stream, req, reply.ec);
  if (reply.ec) return reply;
  bhttp::response_parser<bhttp::string_body> parser;
  bhttp::read(stream, buffer, parser, reply.ec);
  if (reply.ec) return reply;
  const auto& res = parser.get();
  reply.status = static_cast<int>(res.result_int());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  reply.body = res.body();
  reply.chunked = parser.chunked();
  return reply;
}

// A blocking client on one plain connection.
class PlainClient {
 public:
  explicit PlainClient(std::uint16_t port) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
  }
  Reply get(const std::string& target) {
    return exchange(socket_, buffer_, bhttp::verb::get, target);
  }
  Reply post(const std::string& target, const std::string& body) {
    return exchange(socket_, buffer_, bhttp::verb::post, target, body);
  }
  // Reads once: the error the peer's close or reset produces (eof, connection_reset).
  boost::system::error_code read_error() {
    char byte;
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(&byte, 1), ec);
    return ec;
  }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

// A blocking TLS client that trusts `ca_file` and checks the certificate against `host`.
class TlsClient {
 public:
  TlsClient(std::uint16_t port, const std::string& ca_file, const std::string& host)
      : context_(ssl::context::tls_client), stream_(io_, context_) {
    context_.load_verify_file(ca_file);
    stream_.set_verify_mode(ssl::verify_peer);
    stream_.set_verify_callback(ssl::host_name_verification(host));
    SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str());
    stream_.next_layer().connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
    stream_.handshake(ssl::stream_base::client, handshake_error_);
  }
  const boost::system::error_code& handshake_error() const { return handshake_error_; }
  Reply post(const std::string& target, const std::string& body) {
    return exchange(stream_, buffer_, bhttp::verb::post, target, body);
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  ssl::stream<tcp::socket> stream_;
  beast::flat_buffer buffer_;
  boost::system::error_code handshake_error_;
};

const std::string kChat =
    json{{"model", "gpt-4o-mini"}, {"messages", {{{"role", "user"}, {"content", "Hi"}}}}}.dump();

}  // namespace

TEST(FakeUpstream, DefaultAnswersByPath) {
  FakeUpstream upstream;
  EXPECT_EQ(upstream.base_url(), "http://127.0.0.1:" + std::to_string(upstream.port()));
  PlainClient client(upstream.port());

  auto r = client.get("/v1/models");
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_EQ(json::parse(r.body),
            json::parse(R"({"object":"list","data":[{"id":"gpt-4o-mini","object":"model",)"
                        R"("created":1700000000,"owned_by":"openai"}]})"));

  r = client.post("/v1/chat/completions", kChat);
  ASSERT_EQ(r.status, 200);
  auto body = json::parse(r.body);
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["usage"],
            json::parse(R"({"prompt_tokens":9,"completion_tokens":12,"total_tokens":21})"));

  r = client.post("/v1/responses", R"({"model":"gpt-4.1","input":"Hi"})");
  ASSERT_EQ(r.status, 200);
  body = json::parse(r.body);
  EXPECT_EQ(body["object"], "response");
  EXPECT_EQ(body["model"], "gpt-4.1");
  EXPECT_EQ(body["usage"]["input_tokens"], 9);
  EXPECT_EQ(body["usage"]["output_tokens"], 12);
  EXPECT_EQ(body["usage"]["total_tokens"], 21);

  r = client.post("/v1/embeddings", R"({"model":"text-embedding-3-small","input":["a","b"]})");
  ASSERT_EQ(r.status, 200);
  body = json::parse(r.body);
  EXPECT_EQ(body["data"].size(), 2u);
  EXPECT_EQ(body["usage"]["prompt_tokens"], 10);

  r = client.post("/api/v1/images/generations", R"({"model":"gpt-image-1","prompt":"a cat"})");
  ASSERT_EQ(r.status, 200);
  body = json::parse(r.body);
  EXPECT_TRUE(body["data"][0]["b64_json"].is_string());
  EXPECT_EQ(body["usage"]["total_tokens"], 21);

  r = client.post("/v1/nothing", "{}");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(json::parse(r.body)["error"]["code"], "unknown_url");

  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 6u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/v1/models");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/v1/chat/completions");
  EXPECT_EQ(requests[1].body, kChat);
  EXPECT_EQ(requests[1].headers.at("content-type"), "application/json");
  EXPECT_EQ(requests[1].headers.at("x-test"), "1");
  EXPECT_EQ(requests[1].connection, 1u);
}

TEST(FakeUpstream, ScriptedStatusBodyAndHeaders) {
  FakeUpstream upstream;
  upstream.push({.status = 429, .headers = {{"Retry-After", "2"}}});
  upstream.push({.status = 400, .body = R"({"error":{"message":"bad"}})"});
  upstream.push({.body = "{}", .headers = {{"Content-Type", "text/plain"}, {"X-Extra", "yes"}}});
  PlainClient client(upstream.port());

  auto r = client.post("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.header("retry-after"), "2");
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "rate_limit_error");

  r = client.post("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body, R"({"error":{"message":"bad"}})");

  r = client.post("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(r.header("content-type"), "text/plain");
  EXPECT_EQ(r.header("x-extra"), "yes");

  // The queue is empty: the handler answers; a 2xx without a body gets the path's default.
  upstream.set_handler([](const RecordedRequest& req) {
    Scripted s;
    s.headers["X-Seen-Target"] = req.target;
    return s;
  });
  r = client.post("/v1/responses", R"({"model":"m"})");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-seen-target"), "/v1/responses");
  EXPECT_EQ(json::parse(r.body)["object"], "response");
  EXPECT_EQ(upstream.connections_accepted(), 1u);
}

TEST(FakeUpstream, KeepAliveReusesOneConnection) {
  FakeUpstream upstream;
  HttpClient client(upstream.port());
  for (int i = 0; i < 10; ++i) {
    const auto r = client.post_json("/v1/chat/completions", kChat);
    ASSERT_EQ(r.status, 200);
    EXPECT_TRUE(r.keep_alive);
  }
  EXPECT_EQ(upstream.connections_accepted(), 1u);
  EXPECT_EQ(upstream.open_connections(), 1u);
  EXPECT_EQ(upstream.max_concurrent_connections(), 1u);
  for (const auto& req : upstream.requests()) EXPECT_EQ(req.connection, 1u);
}

TEST(FakeUpstream, DelayWaitsBeforeAnswering) {
  FakeUpstream upstream;
  upstream.push({.delay = 300ms});
  PlainClient client(upstream.port());
  const auto start = std::chrono::steady_clock::now();
  const auto r = client.post("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - start, 300ms);
}

TEST(FakeUpstream, DelaysDoNotBlockOtherConnections) {
  FakeUpstream upstream(std::nullopt, 1);
  upstream.set_handler([](const RecordedRequest& req) {
    Scripted s;
    if (req.target == "/v1/chat/completions") s.delay = 500ms;
    return s;
  });
  std::thread slow([&] {
    PlainClient client(upstream.port());
    EXPECT_EQ(client.post("/v1/chat/completions", kChat).status, 200);
  });
  std::this_thread::sleep_for(50ms);
  PlainClient fast(upstream.port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(fast.get("/v1/models").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 400ms);
  slow.join();
  EXPECT_EQ(upstream.max_concurrent_connections(), 2u);
}

TEST(FakeUpstream, ResetBeforeResponse) {
  FakeUpstream upstream;
  upstream.push({.reset_before_response = true});
  {
    PlainClient client(upstream.port());
    const auto r = client.post("/v1/chat/completions", kChat);
    EXPECT_EQ(r.ec, asio::error::connection_reset) << r.ec.message();
  }
  PlainClient again(upstream.port());
  EXPECT_EQ(again.post("/v1/chat/completions", kChat).status, 200);
  EXPECT_EQ(upstream.requests().size(), 2u);
  EXPECT_EQ(upstream.connections_accepted(), 2u);
}

TEST(FakeUpstream, ResetMidBody) {
  FakeUpstream upstream;
  upstream.push({.reset_mid_body = true});
  upstream.push({.reset_mid_body = true, .chunked = true});
  for (int i = 0; i < 2; ++i) {
    // The head and half the body arrive, then the reset.
    RawConnection raw(upstream.port());
    ASSERT_TRUE(raw.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                         std::to_string(kChat.size()) + "\r\n\r\n" + kChat));
    const std::string got = raw.read_all(2s);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200 OK\r\n")) << got;
    EXPECT_NE(got.find("\"choices\""), std::string::npos) << got;
    EXPECT_EQ(got.find("total_tokens"), std::string::npos) << got;
  }
  upstream.push({.reset_mid_body = true});
  PlainClient client(upstream.port());
  const auto r = client.post("/v1/chat/completions", kChat);
  EXPECT_TRUE(r.ec == asio::error::connection_reset || r.ec == bhttp::error::partial_message)
      << r.ec.message();
}

TEST(FakeUpstream, ChunkedBody) {
  FakeUpstream upstream;
  upstream.push({.chunked = true});
  PlainClient client(upstream.port());
  const auto r = client.post("/v1/chat/completions", kChat);
  ASSERT_FALSE(r.ec) << r.ec.message();
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  EXPECT_TRUE(r.header("content-length").empty());
  EXPECT_EQ(json::parse(r.body)["usage"]["total_tokens"], 21);
  // Keep-alive still works after a chunked answer.
  EXPECT_EQ(client.get("/v1/models").status, 200);
  EXPECT_EQ(upstream.connections_accepted(), 1u);
}

TEST(FakeUpstream, CloseAfter) {
  FakeUpstream upstream;
  upstream.push({.close_after = true});
  PlainClient client(upstream.port());
  const auto r = client.post("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_EQ(client.read_error(), asio::error::eof);
}

TEST(FakeUpstream, CloseIdleConnections) {
  FakeUpstream upstream;
  PlainClient first(upstream.port());
  PlainClient second(upstream.port());
  ASSERT_EQ(first.get("/v1/models").status, 200);
  ASSERT_EQ(second.get("/v1/models").status, 200);
  EXPECT_EQ(upstream.open_connections(), 2u);
  EXPECT_EQ(upstream.max_concurrent_connections(), 2u);

  EXPECT_EQ(upstream.close_idle_connections(), 2u);
  EXPECT_EQ(upstream.open_connections(), 0u);
  EXPECT_EQ(first.read_error(), asio::error::eof);
  const auto r = second.get("/v1/models");  // a stale pooled connection
  EXPECT_TRUE(r.ec) << r.status;

  PlainClient fresh(upstream.port());
  EXPECT_EQ(fresh.get("/v1/models").status, 200);
  EXPECT_EQ(upstream.connections_accepted(), 3u);
  EXPECT_EQ(upstream.max_concurrent_connections(), 2u);
}

TEST(FakeUpstream, CloseIdleSparesBusyConnections) {
  FakeUpstream upstream;
  upstream.push({.delay = 500ms});
  std::thread busy([&] {
    PlainClient client(upstream.port());
    EXPECT_EQ(client.post("/v1/chat/completions", kChat).status, 200);
  });
  while (upstream.requests().empty()) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(upstream.close_idle_connections(), 0u);
  busy.join();
}

TEST(FakeUpstreamTls, HandshakeWithTheGeneratedCa) {
  const auto tls = UpstreamTls::generate("localhost");
  FakeUpstream upstream(tls);
  EXPECT_EQ(upstream.base_url(), "https://localhost:" + std::to_string(upstream.port()));
  TlsClient client(upstream.port(), tls.ca_file, "localhost");
  ASSERT_FALSE(client.handshake_error()) << client.handshake_error().message();
  for (int i = 0; i < 3; ++i) {
    const auto r = client.post("/v1/chat/completions", kChat);
    ASSERT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(json::parse(r.body)["object"], "chat.completion");
  }
  EXPECT_EQ(upstream.connections_accepted(), 1u);
  // The IP address is in the certificate too.
  TlsClient by_ip(upstream.port(), tls.ca_file, "127.0.0.1");
  EXPECT_FALSE(by_ip.handshake_error()) << by_ip.handshake_error().message();

  upstream.push({.chunked = true});
  const auto r = client.post("/v1/chat/completions", kChat);
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(json::parse(r.body)["object"], "chat.completion");
  EXPECT_EQ(upstream.close_idle_connections(), 2u);
}

TEST(FakeUpstreamTls, UntrustedCaIsRefused) {
  const auto tls = UpstreamTls::generate("localhost");
  const auto other = UpstreamTls::generate("localhost");
  FakeUpstream upstream(tls);
  TlsClient client(upstream.port(), other.ca_file, "localhost");
  EXPECT_TRUE(client.handshake_error());
}

TEST(FakeUpstreamTls, WrongHostCertificateIsRefused) {
  const auto tls = UpstreamTls::generate_wrong_host();
  FakeUpstream upstream(tls);
  TlsClient client(upstream.port(), tls.ca_file, "localhost");
  EXPECT_TRUE(client.handshake_error());
  TlsClient by_ip(upstream.port(), tls.ca_file, "127.0.0.1");
  EXPECT_TRUE(by_ip.handshake_error());
  // The same CA and certificate pass for the name the certificate holds.
  TlsClient right_name(upstream.port(), tls.ca_file, "wrong.example");
  EXPECT_FALSE(right_name.handshake_error()) << right_name.handshake_error().message();
}
