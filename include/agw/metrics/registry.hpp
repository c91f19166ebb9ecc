#pragma once
// The process's Prometheus registry, rendered by our own /metrics route. Families are typed
// per area (HttpMetrics here; later areas add theirs) and label sets are resolved once, so the
// hot path touches only atomics.
#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace agw::metrics {

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  prometheus::Registry& prometheus() noexcept { return *registry_; }
  // Prometheus text exposition format 0.0.4.
  std::string render() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

}  // namespace agw::metrics
