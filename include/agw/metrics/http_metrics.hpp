#pragma once
#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agw/http/message.hpp"
#include "agw/metrics/registry.hpp"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
template <class T>
class Family;
}  // namespace prometheus

namespace agw::metrics {

// agw_http_* families. Slots are route indexes; the last slot is for unmatched requests.
class HttpMetrics {
 public:
  HttpMetrics(Registry& registry, const std::vector<std::string>& route_patterns);
  ~HttpMetrics();

  std::size_t unmatched_slot() const noexcept { return slots_.size() - 1; }
  void request_started() noexcept;
  void request_finished(std::size_t slot, http::Method method, int status, double seconds);
  // A request that got no answer (timeout, reset, client gone): only leaves the in-flight gauge.
  void request_abandoned() noexcept;
  void connection_opened() noexcept;
  void connection_closed() noexcept;
  void connection_rejected() noexcept;

 private:
  static constexpr std::size_t kMethods = 8;
  static constexpr std::size_t kClasses = 5;
  struct Slot {
    std::string route;
    prometheus::Histogram* duration = nullptr;
    std::array<std::atomic<prometheus::Counter*>, kMethods * kClasses> requests{};
  };

  prometheus::Counter& requests_counter(Slot& slot, http::Method method, std::size_t status_class);

  prometheus::Family<prometheus::Counter>* requests_family_;
  prometheus::Gauge* in_flight_;
  prometheus::Gauge* connections_open_;
  prometheus::Counter* connections_rejected_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::mutex create_mutex_;
};

}  // namespace agw::metrics
