#include "agw/backends/pg/pool.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <future>
#include <mutex>
#include <pqxx/pqxx>
#include <vector>

#include "agw/store/key_store.hpp"

namespace agw::backends::pg {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

std::string with_connect_timeout(const std::string& url, std::chrono::milliseconds timeout) {
  if (url.find("connect_timeout=") != std::string::npos) return url;
  // libpq counts whole seconds and treats values under 2 as 2.
  const auto seconds = std::max<long long>(2, (timeout.count() + 999) / 1000);
  const bool is_uri = url.starts_with("postgresql://") || url.starts_with("postgres://");
  if (!is_uri) return url + " connect_timeout=" + std::to_string(seconds);
  return url + (url.find('?') == std::string::npos ? "?" : "&") +
         "connect_timeout=" + std::to_string(seconds);
}

struct PgPool::Impl {
  std::string url;
  std::chrono::milliseconds timeout;
  asio::thread_pool threads;
  std::mutex mutex;
  std::vector<std::unique_ptr<pqxx::connection>> idle;
  // After a failed connection attempt, jobs fail at once for a short while instead of each
  // waiting for its own attempt: a database outage does not pile up work.
  SteadyClock::time_point fail_fast_until{};

  Impl(std::string u, std::size_t size, std::chrono::milliseconds t)
      : url(std::move(u)), timeout(t), threads(size) {}

  // An idle connection has nothing to read unless its server went away (a restart sends a
  // goodbye, then EOF): such a connection is dropped here instead of failing a caller's query.
  static bool still_connected(const pqxx::connection& c) {
    if (!c.is_open()) return false;
    pollfd p{c.sock(), POLLIN, 0};
    return poll(&p, 1, 0) == 0;
  }

  std::unique_ptr<pqxx::connection> acquire() {
    for (;;) {
      std::unique_ptr<pqxx::connection> c;
      {
        std::lock_guard lock(mutex);
        if (idle.empty()) {
          if (SteadyClock::now() < fail_fast_until) {
            throw store::StoreUnavailable("postgres unreachable");
          }
          break;
        }
        c = std::move(idle.back());
        idle.pop_back();
      }
      if (still_connected(*c)) return c;
    }
    try {
      auto c = std::make_unique<pqxx::connection>(url);
      pqxx::nontransaction(*c).exec("SET statement_timeout = " +
                                    std::to_string(timeout.count()));
      return c;
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      fail_fast_until = SteadyClock::now() + std::chrono::milliseconds(250);
      throw store::StoreUnavailable(std::string("postgres unreachable: ") + e.what());
    }
  }

  void release(std::unique_ptr<pqxx::connection> c) {
    if (!c || !c->is_open()) return;
    std::lock_guard lock(mutex);
    idle.push_back(std::move(c));
  }

  // Runs on a pool thread.
  std::exception_ptr execute(const Job& job) {
    try {
      auto connection = acquire();
      try {
        job(*connection);
      } catch (const pqxx::broken_connection& e) {
        throw store::StoreUnavailable(std::string("postgres connection lost: ") + e.what());
      } catch (const pqxx::sql_error& e) {
        // 57014: statement_timeout; 57P01..03: the server is shutting down or restarting.
        const std::string state = e.sqlstate();
        if (state == "57014" || state.starts_with("57P")) {
          throw store::StoreUnavailable(std::string("postgres: ") + e.what());
        }
        release(std::move(connection));
        throw;
      }
      release(std::move(connection));
      return nullptr;
    } catch (...) {
      return std::current_exception();
    }
  }
};

PgPool::PgPool(std::string url, std::size_t size, std::chrono::milliseconds timeout)
    : url_(url),
      impl_(std::make_shared<Impl>(with_connect_timeout(url, timeout), size, timeout)) {}

PgPool::~PgPool() { impl_->threads.join(); }

Task<void> PgPool::run_job(Job job) {
  struct Completion {
    explicit Completion(asio::any_io_executor ex) : timer(std::move(ex)) {}
    asio::steady_timer timer;
    bool done = false;
    std::exception_ptr error;
  };
  auto executor = co_await asio::this_coro::executor;
  auto completion = std::make_shared<Completion>(executor);
  completion->timer.expires_after(impl_->timeout);
  // The job may outlive this coroutine (after a timeout): tracked work keeps the caller's
  // context running until the job has posted back, so it never posts into a destroyed context
  // (block_on's private io_context ends with the coroutine otherwise). The completion (and its
  // timer) moves to the caller's context with that post: it must never be destroyed on a pool
  // thread, after the context may be gone.
  auto work = asio::prefer(executor, asio::execution::outstanding_work.tracked);
  asio::post(impl_->threads, [work, impl = impl_, completion, job = std::move(job)]() mutable {
    std::exception_ptr error = impl->execute(job);
    asio::post(work, [completion = std::move(completion), error] {
      completion->done = true;
      completion->error = error;
      completion->timer.cancel();
    });
  });
  co_await completion->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!completion->done) {
    throw store::StoreUnavailable("postgres did not answer within DB_TIMEOUT_MS");
  }
  if (completion->error) std::rethrow_exception(completion->error);
}

void PgPool::run_job_blocking(Job job) {
  std::promise<std::exception_ptr> done;
  auto result = done.get_future();
  asio::post(impl_->threads, [impl = impl_, &done, &job] { done.set_value(impl->execute(job)); });
  if (auto error = result.get()) std::rethrow_exception(error);
}

}  // namespace agw::backends::pg
