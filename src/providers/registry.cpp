#include "agw/providers/registry.hpp"

namespace agw::providers {

std::string_view endpoint_path(Endpoint e) noexcept {
  switch (e) {
    case Endpoint::responses: return "responses";
    case Endpoint::chat_completions: return "chat/completions";
    case Endpoint::embeddings: return "embeddings";
    case Endpoint::images_generations: return "images/generations";
  }
  return "";
}

ProviderRegistry::ProviderRegistry(std::shared_ptr<Provider> mock,
                                   std::vector<ModelInfo> mock_models,
                                   std::shared_ptr<Provider> fallback)
    : mock_(std::move(mock)), mock_models_(std::move(mock_models)), fallback_(std::move(fallback)) {}

const ModelInfo* ProviderRegistry::mock_model(std::string_view model) const noexcept {
  for (const auto& m : mock_models_) {
    if (m.id == model) return &m;
  }
  return nullptr;
}

Provider* ProviderRegistry::resolve(std::string_view model) const noexcept {
  if (model.starts_with("mock-")) return mock_model(model) ? mock_.get() : nullptr;
  return fallback_.get();
}

}  // namespace agw::providers
