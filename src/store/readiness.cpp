#include "agw/store/readiness.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace agw::store {

void ReadinessMonitor::add(HealthProbe& probe) {
  probes_.push_back(&probe);
  std::lock_guard lock(mutex_);
  statuses_.push_back({std::string(probe.name()), false, "not probed yet"});
}

Task<void> ReadinessMonitor::probe_all() {
  for (std::size_t i = 0; i < probes_.size(); ++i) {
    BackendStatus status{std::string(probes_[i]->name()), true, "ok"};
    try {
      co_await probes_[i]->ping();
    } catch (const std::exception& e) {
      status.ok = false;
      status.detail = "unreachable";
      spdlog::debug("readiness probe {} failed: {}", status.name, e.what());
    }
    std::lock_guard lock(mutex_);
    const bool first = !probed_;
    if (first || statuses_[i].ok != status.ok) {
      if (!status.ok) spdlog::warn("{} is unreachable", status.name);
      else if (!first) spdlog::info("{} is reachable again", status.name);
    }
    statuses_[i] = std::move(status);
  }
  std::lock_guard lock(mutex_);
  probed_ = true;
}

Task<void> ReadinessMonitor::run() {
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
  for (;;) {
    co_await probe_all();
    timer.expires_after(interval_);
    auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return;
  }
}

std::vector<BackendStatus> ReadinessMonitor::snapshot() const {
  std::lock_guard lock(mutex_);
  return statuses_;
}

}  // namespace agw::store
