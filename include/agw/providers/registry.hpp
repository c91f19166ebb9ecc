#pragma once
// Model → provider. `mock-*` models go to the mock provider; the rest to the default provider.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "agw/providers/provider.hpp"

namespace agw::providers {

struct ModelInfo {
  std::string id;
  std::int64_t created = 0;
  std::string owned_by;
  std::vector<Endpoint> endpoints;  // the endpoints the model serves
};

class ProviderRegistry {
 public:
  ProviderRegistry(std::shared_ptr<Provider> mock, std::vector<ModelInfo> mock_models,
                   std::shared_ptr<Provider> fallback);

  // The provider for `model`, or nullptr when no provider serves it (→ 404 model_not_found).
  Provider* resolve(std::string_view model) const noexcept;
  // The mock model's description, when `model` is one.
  const ModelInfo* mock_model(std::string_view model) const noexcept;

 private:
  std::shared_ptr<Provider> mock_;
  std::vector<ModelInfo> mock_models_;
  std::shared_ptr<Provider> fallback_;  // null when DEFAULT_PROVIDER=mock
};

}  // namespace agw::providers
