#include "agw/metrics/upstream_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>

namespace agw::metrics {

UpstreamMetrics::UpstreamMetrics(Registry& registry, const std::string& provider) {
  auto& reg = registry.prometheus();
  auto& attempts = prometheus::BuildCounter()
                       .Name("agw_upstream_requests_total")
                       .Help("Upstream attempts by provider and status class (error: no response).")
                       .Register(reg);
  constexpr const char* kClasses[] = {"1xx", "2xx", "3xx", "4xx", "5xx", "error"};
  for (std::size_t i = 0; i < attempts_.size(); ++i) {
    attempts_[i] = &attempts.Add({{"provider", provider}, {"status_class", kClasses[i]}});
  }
  auto& retries = prometheus::BuildCounter()
                      .Name("agw_upstream_retries_total")
                      .Help("Upstream retries by provider and reason.")
                      .Register(reg);
  constexpr const char* kReasons[] = {"status", "connection"};
  for (std::size_t i = 0; i < retries_.size(); ++i) {
    retries_[i] = &retries.Add({{"provider", provider}, {"reason", kReasons[i]}});
  }
  latency_ = &prometheus::BuildHistogram()
                  .Name("agw_upstream_request_duration_seconds")
                  .Help("Time of one upstream attempt, connection included.")
                  .Register(reg)
                  .Add({{"provider", provider}},
                       prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5, 1, 2.5, 5, 10, 30, 60, 120,
                                                               300});
  auto& connections = prometheus::BuildGauge()
                          .Name("agw_upstream_connections")
                          .Help("Pooled upstream connections by state (in_use, idle).")
                          .Register(reg);
  in_use_ = &connections.Add({{"provider", provider}, {"state", "in_use"}});
  idle_ = &connections.Add({{"provider", provider}, {"state", "idle"}});
}

void UpstreamMetrics::attempt(int status, double seconds) {
  const std::size_t index = status == 0 ? 5 : static_cast<std::size_t>(std::clamp(status / 100, 1, 5) - 1);
  attempts_[index]->Increment();
  latency_->Observe(seconds);
}

void UpstreamMetrics::retry(RetryReason reason) {
  retries_[static_cast<std::size_t>(reason)]->Increment();
}

void UpstreamMetrics::connections(double in_use, double idle) {
  in_use_->Set(in_use);
  idle_->Set(idle);
}

}  // namespace agw::metrics
