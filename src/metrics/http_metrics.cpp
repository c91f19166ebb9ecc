#include "agw/metrics/http_metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace agw::metrics {
namespace {
constexpr const char* kClassLabels[] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
}

HttpMetrics::HttpMetrics(Registry& registry, const std::vector<std::string>& route_patterns) {
  auto& reg = registry.prometheus();
  requests_family_ = &prometheus::BuildCounter()
                          .Name("agw_http_requests_total")
                          .Help("HTTP requests answered, by route, method and status class.")
                          .Register(reg);
  auto& duration = prometheus::BuildHistogram()
                       .Name("agw_http_request_duration_seconds")
                       .Help("Time from a request's first byte to its response written, by route.")
                       .Register(reg);
  in_flight_ = &prometheus::BuildGauge()
                    .Name("agw_http_requests_in_flight")
                    .Help("Requests being handled now.")
                    .Register(reg)
                    .Add({});
  connections_open_ = &prometheus::BuildGauge()
                           .Name("agw_http_connections_open")
                           .Help("Client connections open now.")
                           .Register(reg)
                           .Add({});
  connections_rejected_ = &prometheus::BuildCounter()
                               .Name("agw_http_connections_rejected_total")
                               .Help("Connections closed at accept because MAX_CONNECTIONS was reached.")
                               .Register(reg)
                               .Add({});
  const prometheus::Histogram::BucketBoundaries buckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  std::vector<std::string> labels = route_patterns;
  labels.emplace_back("unmatched");
  for (auto& route : labels) {
    auto slot = std::make_unique<Slot>();
    slot->duration = &duration.Add({{"route", route}}, buckets);
    slot->route = std::move(route);
    slots_.push_back(std::move(slot));
  }
}

HttpMetrics::~HttpMetrics() = default;

prometheus::Counter& HttpMetrics::requests_counter(Slot& slot, http::Method method,
                                                   std::size_t status_class) {
  auto& cell = slot.requests[static_cast<std::size_t>(method) * kClasses + status_class];
  if (auto* counter = cell.load(std::memory_order_acquire)) return *counter;
  std::lock_guard lock(create_mutex_);
  auto* counter = &requests_family_->Add({{"route", slot.route},
                                          {"method", std::string(http::method_name(method))},
                                          {"status_class", kClassLabels[status_class]}});
  cell.store(counter, std::memory_order_release);
  return *counter;
}

void HttpMetrics::request_started() noexcept { in_flight_->Increment(); }

void HttpMetrics::request_finished(std::size_t slot_index, http::Method method, int status,
                                   double seconds) {
  in_flight_->Decrement();
  Slot& slot = *slots_.at(slot_index);
  const std::size_t status_class = std::clamp(status / 100, 1, 5) - 1;
  requests_counter(slot, method, status_class).Increment();
  slot.duration->Observe(seconds);
}

void HttpMetrics::request_abandoned() noexcept { in_flight_->Decrement(); }

void HttpMetrics::connection_opened() noexcept { connections_open_->Increment(); }
void HttpMetrics::connection_closed() noexcept { connections_open_->Decrement(); }
void HttpMetrics::connection_rejected() noexcept { connections_rejected_->Increment(); }

}  // namespace agw::metrics
