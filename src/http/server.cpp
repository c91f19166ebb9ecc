#include "agw/http/server.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <list>
#include <thread>

#include "agw/core/error.hpp"
#include "agw/core/logging.hpp"
#include "agw/core/request_id.hpp"
#include "agw/http/response_head.hpp"
#include "agw/http/responses.hpp"
#include "agw/metrics/http_metrics.hpp"

namespace agw::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

namespace {

Method to_method(bhttp::verb verb) noexcept {
  switch (verb) {
    case bhttp::verb::get: return Method::get;
    case bhttp::verb::head: return Method::head;
    case bhttp::verb::post: return Method::post;
    case bhttp::verb::put: return Method::put;
    case bhttp::verb::patch: return Method::patch;
    case bhttp::verb::delete_: return Method::del;
    case bhttp::verb::options: return Method::options;
    default: return Method::other;
  }
}

class BeastHeaders final : public HeaderSource {
 public:
  explicit BeastHeaders(const bhttp::fields& fields) : fields_(fields) {}
  std::string_view get(std::string_view name) const override {
    const auto it = fields_.find(name);
    if (it == fields_.end()) return {};
    const auto value = it->value();
    return {value.data(), value.size()};
  }

 private:
  const bhttp::fields& fields_;
};

// A connection as the drain and the deadline sweep see it: only touched on its worker's thread.
// Deadlines are plain time points checked by one sweep per worker (kSweepInterval), not a timer
// per connection: arming a timer around every read and write cost timerfd_settime system calls
// on each request.
struct Connection {
  tcp::socket* socket = nullptr;
  bool idle = false;
  SteadyClock::time_point deadline = SteadyClock::time_point::max();
};

constexpr auto kSweepInterval = std::chrono::milliseconds(100);
constexpr auto kNoDeadline = SteadyClock::time_point::max();

struct Worker {
  asio::io_context context{1};
  std::list<Connection> connections;
};

bool is_parse_error(const boost::system::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

}  // namespace

struct Server::Impl {
  const config::ServerConfig& config;
  const Router& router;
  metrics::HttpMetrics& metrics;
  std::vector<std::unique_ptr<Worker>> workers;
  std::unique_ptr<tcp::acceptor> acceptor;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> open_connections{0};
  std::size_t next_worker = 0;
  std::vector<std::function<Task<void>()>> background;

  Impl(const config::ServerConfig& c, const Router& r, metrics::HttpMetrics& m)
      : config(c), router(r), metrics(m) {
    for (unsigned i = 0; i < c.io_threads; ++i) workers.push_back(std::make_unique<Worker>());
  }

  asio::io_context& main_context() { return workers.front()->context; }

  Task<void> accept_loop();
  Task<void> session(tcp::socket socket, Worker& worker);
  Task<Response> dispatch(Request& request, std::size_t& metric_slot);
  Task<void> linger_close(tcp::socket& socket, Connection& self);
  Task<void> sweep_deadlines(Worker& worker);
  Task<void> drain_then_stop();
  void begin_drain();
};

std::uint16_t Server::listen() {
  auto& context = impl_->main_context();
  const auto address = asio::ip::make_address(impl_->config.host);
  tcp::endpoint endpoint(address, impl_->config.port);
  impl_->acceptor = std::make_unique<tcp::acceptor>(context);
  impl_->acceptor->open(endpoint.protocol());
  impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
  impl_->acceptor->bind(endpoint);
  impl_->acceptor->listen(asio::socket_base::max_listen_connections);
  return impl_->acceptor->local_endpoint().port();
}

Task<void> Server::Impl::accept_loop() {
  while (!draining) {
    Worker& target = *workers[next_worker++ % workers.size()];
    auto [ec, socket] = co_await acceptor->async_accept(target.context, kUseTuple);
    if (ec) {
      if (draining || ec == asio::error::operation_aborted) break;
      // Out of descriptors or a transient network error: back off briefly, keep serving.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(main_context(), std::chrono::milliseconds(20));
      co_await pause.async_wait(kUseTuple);
      continue;
    }
    if (open_connections.load() >= config.max_connections) {
      metrics.connection_rejected();
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    ++open_connections;
    metrics.connection_opened();
    asio::co_spawn(target.context, session(std::move(socket), target), asio::detached);
  }
}

Task<Response> Server::Impl::dispatch(Request& request, std::size_t& metric_slot) {
  const RouteMatch match = router.match(request.method, request.path);
  if (match.kind == RouteMatch::Kind::not_found) {
    co_return error_response(core::ErrorCode::not_found,
                             "Unknown request URL: " + std::string(method_name(request.method)) +
                                 " " + std::string(request.path) + ".");
  }
  if (match.kind == RouteMatch::Kind::method_not_allowed) {
    Response response = error_response(
        core::ErrorCode::method_not_allowed,
        "Method " + std::string(method_name(request.method)) + " is not allowed on " +
            std::string(request.path) + "; allowed: " + match.allow + ".");
    response.header("Allow", match.allow);
    co_return response;
  }
  metric_slot = match.route->index;
  request.params = match.params;
  co_return co_await match.route->handler(request);
}

Task<void> Server::Impl::sweep_deadlines(Worker& worker) {
  asio::steady_timer tick(worker.context);
  for (;;) {
    tick.expires_after(kSweepInterval);
    auto [ec] = co_await tick.async_wait(kUseTuple);
    if (ec) co_return;
    const auto now = SteadyClock::now();
    for (auto& connection : worker.connections) {
      if (connection.deadline <= now) {
        boost::system::error_code ignored;
        connection.socket->cancel(ignored);  // the pending read or write ends: the session closes
      }
    }
  }
}

Task<void> Server::Impl::linger_close(tcp::socket& socket, Connection& self) {
  // Closing with unread bytes makes the kernel send a reset that can destroy the response we
  // just wrote; so half-close, then discard what the client still sends, briefly.
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  self.deadline = SteadyClock::now() + std::chrono::seconds(2);
  static thread_local char sink[16384];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(sink), kUseTuple);
    if (ec || SteadyClock::now() >= self.deadline) break;
  }
  socket.close(ignored);
}

Task<void> Server::Impl::session(tcp::socket socket, Worker& worker) {
  socket.set_option(tcp::no_delay(true));
  boost::system::error_code addr_ec;
  const auto remote = socket.remote_endpoint(addr_ec);
  const std::string client = addr_ec ? "unknown" : remote.address().to_string();
  tcp::socket stream(std::move(socket));
  auto self = worker.connections.insert(worker.connections.end(), Connection{&stream});
  beast::flat_buffer buffer;
  std::string head;  // the response head, reused across the connection's requests

  for (;;) {
    // Wait for the first byte of the next request under the idle timeout.
    if (buffer.size() == 0) {
      if (draining) break;
      self->deadline = SteadyClock::now() + config.idle_timeout;
      self->idle = true;
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(8192), kUseTuple);
      self->idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    const auto started = SteadyClock::now();
    metrics.request_started();
    // The whole request must arrive within the read timeout: a slow client is cut off.
    self->deadline = started + config.read_timeout;

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
    // No body limit while the head is read: Beast would report an announced Content-Length over
    // it as a header error. The length is checked below, and the limit set before the body.
    parser.body_limit(boost::none);
    Response response;
    std::string request_id;
    Method method = Method::other;
    std::string path = "-";
    std::size_t metric_slot = metrics.unmatched_slot();
    std::size_t bytes_in = 0;
    bool keep_alive = false;
    bool linger = false;

    auto [hec, hn] = co_await bhttp::async_read_header(stream, buffer, parser, kUseTuple);
    if (hec == bhttp::error::header_limit) {
      response = error_response(core::ErrorCode::headers_too_large,
                                "Request headers exceed " +
                                    std::to_string(config.max_header_bytes) + " bytes.");
      linger = true;
    } else if (hec && is_parse_error(hec)) {
      response = error_response(core::ErrorCode::bad_request, "Malformed HTTP request.");
      linger = true;
    } else if (hec) {
      metrics.request_abandoned();
      break;  // timeout, reset or the client went away: nobody to answer
    } else {
      auto& req = parser.get();
      method = to_method(req.method());
      const std::string_view target = req.target();
      const auto qmark = target.find('?');
      path = std::string(target.substr(0, qmark));
      request_id = core::choose_request_id(req["x-request-id"]);
      keep_alive = req.keep_alive();
      const auto length = parser.content_length();
      if (req.version() >= 11 && req.find(bhttp::field::host) == req.end()) {
        response = error_response(core::ErrorCode::bad_request,
                                  "HTTP/1.1 requests must carry a Host header.");
        linger = true;
      } else if (length && *length > config.max_body_bytes) {
        response = error_response(core::ErrorCode::payload_too_large,
                                  "Request body exceeds " +
                                      std::to_string(config.max_body_bytes) + " bytes.");
        linger = true;
      } else {
        boost::system::error_code bec;
        parser.body_limit(config.max_body_bytes);
        if (!parser.is_done()) {
          if (beast::iequals(req[bhttp::field::expect], "100-continue")) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            co_await asio::async_write(stream, asio::buffer(kContinue), kUseTuple);
          }
          std::tie(bec, std::ignore) = co_await bhttp::async_read(stream, buffer, parser, kUseTuple);
        }
        if (bec == bhttp::error::body_limit) {
          response = error_response(core::ErrorCode::payload_too_large,
                                    "Request body exceeds " +
                                        std::to_string(config.max_body_bytes) + " bytes.");
          linger = true;
        } else if (bec && is_parse_error(bec)) {
          response = error_response(core::ErrorCode::bad_request, "Malformed HTTP request body.");
          linger = true;
        } else if (bec) {
          metrics.request_abandoned();
          break;
        } else {
          BeastHeaders headers(req.base());
          Request request;
          request.method = method;
          request.path = path;
          request.query = qmark == std::string_view::npos ? std::string_view{}
                                                          : target.substr(qmark + 1);
          request.body = std::move(req.body());
          bytes_in = request.body.size();
          request.headers = &headers;
          request.client_address = client;
          request.request_id = request_id;
          request.received_at = SteadyClock::now();
          self->deadline = kNoDeadline;  // the handler's own timeouts bound it (upstream, DB)
          try {
            response = co_await dispatch(request, metric_slot);
          } catch (const core::ApiError& e) {
            response = error_response(e);
          } catch (const std::exception& e) {
            spdlog::error("request {} failed: {}", request_id, e.what());
            response = error_response(core::ErrorCode::internal_error,
                                      "The server had an error while processing your request.");
          }
        }
      }
    }

    if (request_id.empty()) request_id = core::new_request_id();
    keep_alive = keep_alive && !linger && !draining && !response.close_connection;
    const unsigned version = parser.get().version() == 10 ? 10 : 11;
    const std::size_t bytes_out = response.body.size();
    head.clear();
    write_response_head(head, response, version, keep_alive, request_id, bytes_out);

    self->deadline = SteadyClock::now() + config.write_timeout;
    // One gathered write of head and body; HEAD gets the GET answer's head only.
    const std::array<asio::const_buffer, 2> message = {
        asio::buffer(head),
        method == Method::head ? asio::const_buffer() : asio::buffer(response.body)};
    auto [wec, written] = co_await asio::async_write(stream, message, kUseTuple);
    (void)written;

    const auto elapsed = SteadyClock::now() - started;
    metrics.request_finished(metric_slot, method, response.status,
                             std::chrono::duration<double>(elapsed).count());
    core::log_access({request_id, client, method_name(method), path, response.status,
                      std::chrono::duration<double, std::milli>(elapsed).count(), bytes_in,
                      bytes_out, response.error_code});
    if (wec) break;
    if (linger) {
      co_await linger_close(stream, *self);
      break;
    }
    if (!keep_alive) break;
  }

  boost::system::error_code ignored;
  stream.shutdown(tcp::socket::shutdown_both, ignored);
  stream.close(ignored);
  worker.connections.erase(self);
  --open_connections;
  metrics.connection_closed();
}

void Server::Impl::begin_drain() {
  if (draining.exchange(true)) return;
  spdlog::info("shutting down: no new connections; finishing in-flight requests");
  asio::post(main_context(), [this] {
    boost::system::error_code ignored;
    if (acceptor) acceptor->close(ignored);
  });
  for (auto& worker : workers) {
    asio::post(worker->context, [w = worker.get()] {
      for (auto& connection : w->connections) {
        if (connection.idle) {
          boost::system::error_code ignored;
          connection.socket->cancel(ignored);
        }
      }
    });
  }
  asio::co_spawn(main_context(), drain_then_stop(), asio::detached);
}

Task<void> Server::Impl::drain_then_stop() {
  const auto deadline = SteadyClock::now() + config.shutdown_timeout;
  asio::steady_timer tick(main_context());
  while (open_connections.load() > 0 && SteadyClock::now() < deadline) {
    tick.expires_after(std::chrono::milliseconds(5));
    co_await tick.async_wait(kUseTuple);
  }
  if (open_connections.load() > 0) {
    spdlog::warn("shutdown timeout: closing {} connection(s) still open", open_connections.load());
  }
  for (auto& worker : workers) worker->context.stop();
}

Server::Server(const config::ServerConfig& config, const Router& router,
               metrics::HttpMetrics& metrics)
    : impl_(std::make_unique<Impl>(config, router, metrics)) {}

Server::~Server() = default;

void Server::stop() { impl_->begin_drain(); }

void Server::spawn(std::function<Task<void>()> task) {
  impl_->background.push_back(std::move(task));
}

void Server::run() {
  auto& main = impl_->main_context();
  asio::signal_set signals(main, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int) {
    if (!ec) impl_->begin_drain();
  });
  asio::co_spawn(main, impl_->accept_loop(), asio::detached);
  for (auto& worker : impl_->workers) {
    asio::co_spawn(worker->context, impl_->sweep_deadlines(*worker), asio::detached);
  }
  for (auto& task : impl_->background) {
    asio::co_spawn(main, task(), [](std::exception_ptr error) {
      if (!error) return;
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        spdlog::error("background task stopped: {}", e.what());
      }
    });
  }

  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& worker : impl_->workers) guards.push_back(asio::make_work_guard(worker->context));
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < impl_->workers.size(); ++i) {
    threads.emplace_back([ctx = &impl_->workers[i]->context] { ctx->run(); });
  }
  main.run();
  for (auto& worker : impl_->workers) worker->context.stop();
  for (auto& t : threads) t.join();
}

}  // namespace agw::http
