#pragma once
// A pool of libpqxx connections served by as many threads. run() hands a function to a pool
// thread and awaits it from the caller's executor under DB_TIMEOUT_MS: the event loop never
// blocks on PostgreSQL, and an unreachable database costs a caller at most the timeout.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "agw/core/task.hpp"

namespace pqxx {
class connection_base;  // pqxx 6: the base of every connection type
}

namespace agw::backends::pg {

class PgPool {
 public:
  PgPool(std::string url, std::size_t size, std::chrono::milliseconds timeout);
  ~PgPool();
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // Runs fn(connection) on a pool thread.
  // Pass a named function object (`co_await pool.run(std::move(query))`), never a lambda
  // written inside the co_await: see the GCC 12 note in core/task.hpp. Throws store::StoreUnavailable on timeout or when the
  // database is unreachable; rethrows anything else fn throws.
  template <class Fn>
    requires(!std::is_void_v<std::invoke_result_t<Fn&, pqxx::connection_base&>>)
  auto run(Fn fn) -> Task<std::invoke_result_t<Fn&, pqxx::connection_base&>> {
    using R = std::invoke_result_t<Fn&, pqxx::connection_base&>;
    // Shared with the pool thread, which may outlive this coroutine after a timeout.
    auto slot = std::make_shared<Slot<R, Fn>>(std::move(fn));
    Job job = [slot](pqxx::connection_base& c) { slot->run(c); };
    co_await run_job(std::move(job));
    R value = std::move(*slot->result);
    co_return value;
  }

  template <class Fn>
    requires std::is_void_v<std::invoke_result_t<Fn&, pqxx::connection_base&>>
  Task<void> run(Fn fn) {
    auto slot = std::make_shared<Slot<void, Fn>>(std::move(fn));
    Job job = [slot](pqxx::connection_base& c) { slot->run(c); };
    co_await run_job(std::move(job));
  }

  // The same, blocking the calling thread (CLI commands, start-up).
  template <class Fn>
  auto run_blocking(Fn fn) -> std::invoke_result_t<Fn&, pqxx::connection_base&> {
    using R = std::invoke_result_t<Fn&, pqxx::connection_base&>;
    auto slot = std::make_shared<Slot<R, Fn>>(std::move(fn));
    run_job_blocking([slot](pqxx::connection_base& c) { slot->run(c); });
    if constexpr (!std::is_void_v<R>) return std::move(*slot->result);
  }

  const std::string& url() const noexcept { return url_; }

 private:
  template <class R, class Fn>
  struct Slot {
    explicit Slot(Fn f) : fn(std::move(f)) {}
    void run(pqxx::connection_base& c) {
      if constexpr (std::is_void_v<R>) fn(c);
      else result.emplace(fn(c));
    }
    Fn fn;
    std::optional<std::conditional_t<std::is_void_v<R>, int, R>> result;
  };

  using Job = std::function<void(pqxx::connection_base&)>;
  Task<void> run_job(Job job);
  void run_job_blocking(Job job);

  struct Impl;
  std::string url_;
  std::shared_ptr<Impl> impl_;
};

// DATABASE_URL with libpq's connect_timeout added (when absent).
std::string with_connect_timeout(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace agw::backends::pg
