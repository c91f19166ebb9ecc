#include "agw/metrics/registry.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace agw::metrics {

Registry::Registry() : registry_(std::make_shared<prometheus::Registry>()) {
  prometheus::BuildGauge()
      .Name("agw_build_info")
      .Help("Build information of the running ai-gateway; the value is always 1.")
      .Register(*registry_)
      .Add({{"version", AGW_VERSION}})
      .Set(1);
}

Registry::~Registry() = default;

std::string Registry::render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace agw::metrics
