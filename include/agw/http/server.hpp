#pragma once
// The HTTP/1.1 server: one io_context per IO thread, one acceptor handing connections out in
// turn, and per connection a short linear coroutine (read with limits and deadlines, route,
// handle, write, loop). SIGTERM/SIGINT stop accepting, close idle connections, let in-flight
// requests finish within the shutdown timeout, then return from run().
#include <cstdint>
#include <functional>
#include <memory>

#include "agw/config/config.hpp"
#include "agw/http/router.hpp"

namespace agw::metrics {
class HttpMetrics;
}

namespace agw::http {

class Server {
 public:
  Server(const config::ServerConfig& config, const Router& router, metrics::HttpMetrics& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds HOST:PORT (PORT=0 picks a free port); returns the bound port.
  std::uint16_t listen();
  // Serves on IO_THREADS threads (this one included) until a stop signal or stop(), then
  // drains. Returns once every connection has closed or the shutdown timeout has passed.
  void run();
  // Begins the drain; safe from any thread.
  void stop();
  // A background loop to run on the main IO thread while serving (probes, batch flushers);
  // it is abandoned when the server stops. Call before run().
  void spawn(std::function<Task<void>()> task);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agw::http
