#pragma once
// agw_upstream_* families for one provider: attempts by status class, retries by reason,
// attempt latency, pooled connections in use and idle.
#include <array>
#include <string>
#include <string_view>

#include "agw/metrics/registry.hpp"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace agw::metrics {

class UpstreamMetrics {
 public:
  UpstreamMetrics(Registry& registry, const std::string& provider);

  // One attempt; `status` 0 when no response came (connection error, reset, timeout).
  void attempt(int status, double seconds);
  enum class RetryReason { status, connection };
  void retry(RetryReason reason);
  void connections(double in_use, double idle);

 private:
  std::array<prometheus::Counter*, 6> attempts_{};  // 1xx..5xx, error
  std::array<prometheus::Counter*, 2> retries_{};
  prometheus::Histogram* latency_ = nullptr;
  prometheus::Gauge* in_use_ = nullptr;
  prometheus::Gauge* idle_ = nullptr;
};

}  // namespace agw::metrics
