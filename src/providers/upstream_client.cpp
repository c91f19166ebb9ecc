#include "agw/providers/upstream_client.hpp"

#include <openssl/ssl.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <array>
#include <deque>
#include <mutex>
#include <unordered_map>

#include "agw/metrics/upstream_metrics.hpp"

namespace agw::providers {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using Kind = UpstreamFailure::Kind;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t kMaxResponseBody = 256 * 1024 * 1024;
constexpr std::uint32_t kMaxResponseHeader = 64 * 1024;

bhttp::verb to_verb(http::Method m) {
  switch (m) {
    case http::Method::get: return bhttp::verb::get;
    case http::Method::post: return bhttp::verb::post;
    case http::Method::put: return bhttp::verb::put;
    case http::Method::patch: return bhttp::verb::patch;
    case http::Method::del: return bhttp::verb::delete_;
    case http::Method::head: return bhttp::verb::head;
    case http::Method::options: return bhttp::verb::options;
    case http::Method::other: break;
  }
  return bhttp::verb::get;
}

// One upstream connection; lives on the IO thread (io_context) that opened it.
struct Connection {
  Connection(const asio::any_io_executor& executor, asio::ssl::context* tls) {
    if (tls) secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, *tls);
    else plain = std::make_unique<beast::tcp_stream>(executor);
  }
  beast::tcp_stream& tcp() { return plain ? *plain : beast::get_lowest_layer(*secure); }
  void close() {
    boost::system::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }
  // An idle connection the upstream closed (or wrote to) is readable: not safe to reuse.
  bool looks_alive() {
    if (!tcp().socket().is_open()) return false;
    pollfd p{tcp().socket().native_handle(), POLLIN | POLLRDHUP, 0};
    return ::poll(&p, 1, 0) == 0;
  }

  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  void* context = nullptr;
  SteadyClock::time_point idle_since;
};

using ConnectionPtr = std::unique_ptr<Connection>;

void* context_of(const asio::any_io_executor& executor) {
  return &asio::query(executor, asio::execution::context);
}

// What one exchange on a connection produced.
struct Exchange {
  enum class Outcome { ok, no_response, broken, timeout } outcome = Outcome::ok;
  IncomingResponse response;
  bool keep_alive = false;
  std::string error;
};

template <class Stream>
Task<Exchange> exchange(Stream& stream, Connection& connection, const UpstreamEndpoint& endpoint,
                        const OutgoingRequest& request, SteadyClock::time_point deadline) {
  Exchange result;
  connection.tcp().expires_at(deadline);
  // The head written straight into a string and sent with the body in one gathered write.
  std::string head;
  head.reserve(256 + request.target.size());
  const auto verb = bhttp::to_string(to_verb(request.method));
  head.append(verb.data(), verb.size());
  head.append(" ").append(request.target).append(" HTTP/1.1\r\nHost: ");
  head.append(endpoint.host_header());
  head.append("\r\nUser-Agent: ai-gateway/" AGW_VERSION
              "\r\nAccept: application/json\r\nAccept-Encoding: identity\r\n");
  if (!request.body.empty()) head.append("Content-Type: application/json\r\n");
  for (const auto& [name, value] : request.headers) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
  if (!request.body.empty() || request.method == http::Method::post) {
    head.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  head.append("\r\n");
  const std::array<asio::const_buffer, 2> outgoing = {
      asio::buffer(head), asio::buffer(request.body.data(), request.body.size())};

  auto [wec, written] = co_await asio::async_write(stream, outgoing, kUseTuple);
  (void)written;
  if (wec) {
    result.outcome = wec == beast::error::timeout ? Exchange::Outcome::timeout
                                                  : Exchange::Outcome::no_response;
    result.error = wec.message();
    co_return result;
  }
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxResponseHeader);
  parser.body_limit(kMaxResponseBody);
  auto [rec, read] = co_await bhttp::async_read(stream, connection.buffer, parser, kUseTuple);
  (void)read;
  if (rec) {
    if (rec == beast::error::timeout || SteadyClock::now() >= deadline) {
      result.outcome = Exchange::Outcome::timeout;
    } else if (!parser.got_some()) {
      result.outcome = Exchange::Outcome::no_response;
    } else {
      result.outcome = Exchange::Outcome::broken;
    }
    result.error = rec.message();
    co_return result;
  }
  auto& message = parser.get();
  result.response.status = static_cast<int>(message.result_int());
  if (const auto it = message.find(bhttp::field::content_type); it != message.end()) {
    result.response.content_type = std::string(it->value());
  }
  if (const auto it = message.find(bhttp::field::retry_after); it != message.end()) {
    result.response.retry_after = std::string(it->value());
  }
  result.keep_alive = message.keep_alive();
  result.response.body = std::move(message.body());
  co_return result;
}

}  // namespace

// The pool: open connections are counted across threads (the limit), idle ones are kept per
// owning io_context, and callers beyond the limit wait in FIFO order for a connection or a
// permit to open one.
struct UpstreamClient::Impl {
  struct Waiter {
    explicit Waiter(const asio::any_io_executor& executor) : timer(executor) {}
    asio::steady_timer timer;
    void* context = nullptr;
    bool granted = false;
    ConnectionPtr handed;  // a ready connection, or null: a permit to open one
  };

  UpstreamEndpoint endpoint;
  UpstreamClientOptions options;
  metrics::UpstreamMetrics* metrics;
  std::unique_ptr<asio::ssl::context> tls;

  std::mutex mutex;
  std::size_t open = 0;  // permits held: connections open or being opened
  std::size_t idle_count = 0;
  std::unordered_map<void*, std::vector<ConnectionPtr>> idle;
  std::deque<std::shared_ptr<Waiter>> waiters;

  void report() {
    if (metrics) {
      metrics->connections(static_cast<double>(open - idle_count), static_cast<double>(idle_count));
    }
  }

  // Called with the mutex held: gives a permit (and maybe a connection) to the first waiter.
  void grant(const std::shared_ptr<Waiter>& waiter, ConnectionPtr connection) {
    waiter->granted = true;
    waiter->handed = std::move(connection);
    asio::post(waiter->timer.get_executor(), [waiter] { waiter->timer.cancel(); });
  }

  // A connection (or a bare permit, when `connection` is null) comes back.
  void release(ConnectionPtr connection, bool reusable) {
    std::lock_guard lock(mutex);
    if (connection && reusable) {
      for (auto it = waiters.begin(); it != waiters.end(); ++it) {
        if ((*it)->context == connection->context) {  // same thread: hand it over as it is
          auto waiter = *it;
          waiters.erase(it);
          grant(waiter, std::move(connection));
          report();
          return;
        }
      }
    }
    if (!waiters.empty()) {  // the permit goes to the longest waiter, which opens its own
      auto waiter = waiters.front();
      waiters.pop_front();
      if (connection) connection->close();
      grant(waiter, nullptr);
      report();
      return;
    }
    if (connection && reusable) {
      connection->idle_since = SteadyClock::now();
      idle[connection->context].push_back(std::move(connection));
      ++idle_count;
    } else {
      if (connection) connection->close();
      --open;
    }
    report();
  }

  struct Lease {
    ConnectionPtr connection;  // null: open a new one under the permit
  };

  Task<Lease> acquire(const asio::any_io_executor& executor, SteadyClock::time_point deadline) {
    void* context = context_of(executor);
    std::shared_ptr<Waiter> waiter;
    {
      std::lock_guard lock(mutex);
      auto& mine = idle[context];
      while (!mine.empty()) {
        ConnectionPtr candidate = std::move(mine.back());
        mine.pop_back();
        --idle_count;
        if (SteadyClock::now() - candidate->idle_since < options.idle_timeout &&
            candidate->looks_alive()) {
          report();
          co_return Lease{std::move(candidate)};
        }
        candidate->close();  // stale: its permit is reused just below
        --open;
      }
      if (open < options.max_connections) {
        ++open;
        report();
        co_return Lease{};
      }
      for (auto& [other, list] : idle) {  // idle on another thread: close it there, take its permit
        if (list.empty()) continue;
        ConnectionPtr victim = std::move(list.back());
        list.pop_back();
        --idle_count;
        auto executor_of_victim = victim->tcp().get_executor();
        asio::post(executor_of_victim, [v = std::shared_ptr<Connection>(std::move(victim))] { v->close(); });
        report();
        co_return Lease{};
      }
      waiter = std::make_shared<Waiter>(executor);
      waiter->context = context;
      waiter->timer.expires_at(deadline);
      waiters.push_back(waiter);
    }
    co_await waiter->timer.async_wait(kUseTuple);
    std::lock_guard lock(mutex);
    if (waiter->granted) co_return Lease{std::move(waiter->handed)};
    std::erase(waiters, waiter);
    throw UpstreamFailure(Kind::timeout, "no upstream connection became free before the deadline");
  }

  Task<ConnectionPtr> connect(const asio::any_io_executor& executor,
                              SteadyClock::time_point deadline) {
    using namespace asio::experimental::awaitable_operators;
    const auto connect_deadline = std::min(deadline, SteadyClock::now() + options.connect_timeout);
    tcp::resolver resolver(executor);
    asio::steady_timer timer(executor, connect_deadline);
    auto resolving = resolver.async_resolve(endpoint.host, endpoint.port, kUseTuple);
    auto waiting = timer.async_wait(kUseTuple);
    auto raced = co_await (std::move(resolving) || std::move(waiting));
    if (raced.index() == 1) throw UpstreamFailure(Kind::connect, "DNS resolution timed out");
    auto [rec, endpoints] = std::get<0>(std::move(raced));
    if (rec) throw UpstreamFailure(Kind::connect, "DNS resolution failed: " + rec.message());

    auto connection = std::make_unique<Connection>(executor, tls.get());
    connection->context = context_of(executor);
    connection->tcp().expires_at(connect_deadline);
    auto [cec, connected] = co_await connection->tcp().async_connect(endpoints, kUseTuple);
    (void)connected;
    if (cec) {
      throw UpstreamFailure(cec == beast::error::timeout ? Kind::connect : Kind::connect,
                            "connection to the upstream failed: " + cec.message());
    }
    connection->tcp().socket().set_option(tcp::no_delay(true));
    if (connection->secure) {
      SSL* ssl = connection->secure->native_handle();
      if (!SSL_set_tlsext_host_name(ssl, endpoint.host.c_str()) ||
          !SSL_set1_host(ssl, endpoint.host.c_str())) {
        throw UpstreamFailure(Kind::tls, "TLS set-up failed");
      }
      auto [hec] = co_await connection->secure->async_handshake(asio::ssl::stream_base::client,
                                                                kUseTuple);
      if (hec) {
        throw UpstreamFailure(hec == beast::error::timeout ? Kind::connect : Kind::tls,
                              "TLS handshake with the upstream failed: " + hec.message());
      }
    }
    co_return connection;
  }
};

UpstreamClient::UpstreamClient(UpstreamEndpoint endpoint, UpstreamClientOptions options,
                               metrics::UpstreamMetrics* metrics)
    : endpoint_(std::move(endpoint)), impl_(std::make_shared<Impl>()) {
  impl_->endpoint = endpoint_;
  impl_->options = std::move(options);
  impl_->metrics = metrics;
  if (endpoint_.tls) {
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    impl_->tls->set_default_verify_paths();
    if (!impl_->options.ca_file.empty()) impl_->tls->load_verify_file(impl_->options.ca_file);
    impl_->tls->set_verify_mode(asio::ssl::verify_peer);
  }
}

UpstreamClient::~UpstreamClient() {
  std::lock_guard lock(impl_->mutex);
  impl_->idle.clear();  // closes idle sockets; the IO contexts still exist (App's order)
}

Task<IncomingResponse> UpstreamClient::send(const OutgoingRequest& request,
                                            SteadyClock::time_point deadline) {
  auto executor = co_await asio::this_coro::executor;
  auto& impl = *impl_;
  // A pooled connection the upstream closed meanwhile fails before any response byte; that is
  // not the request's failure: try again on a fresh connection (a bounded number of times).
  for (int stale = 0;; ++stale) {
    auto lease = co_await impl.acquire(executor, deadline);
    const bool reused = lease.connection != nullptr;
    ConnectionPtr connection = std::move(lease.connection);
    if (!connection) {
      std::exception_ptr failure;
      try {
        connection = co_await impl.connect(executor, deadline);
      } catch (...) {
        failure = std::current_exception();
      }
      if (failure) {
        impl.release(nullptr, false);
        std::rethrow_exception(failure);
      }
    }
    // (if/else, not ?: — GCC 12 destroys a co_await result in a conditional expression twice)
    Exchange result;
    if (connection->secure) {
      result = co_await exchange(*connection->secure, *connection, impl.endpoint, request, deadline);
    } else {
      result = co_await exchange(*connection->plain, *connection, impl.endpoint, request, deadline);
    }
    const bool ok = result.outcome == Exchange::Outcome::ok;
    impl.release(std::move(connection), ok && result.keep_alive);
    switch (result.outcome) {
      case Exchange::Outcome::ok: co_return std::move(result.response);
      case Exchange::Outcome::no_response:
        if (reused && stale < 3) continue;
        throw UpstreamFailure(Kind::reset_before_response,
                              "the upstream closed the connection before answering: " +
                                  result.error);
      case Exchange::Outcome::broken:
        throw UpstreamFailure(Kind::broken_response,
                              "the upstream's answer broke off: " + result.error);
      case Exchange::Outcome::timeout:
        throw UpstreamFailure(Kind::timeout, "the upstream did not answer in time");
    }
  }
}

}  // namespace agw::providers
