#include "agw/providers/models_catalog.hpp"

#include <spdlog/spdlog.h>

#include <unordered_set>

#include "agw/providers/openai_provider.hpp"

namespace agw::providers {

namespace {
constexpr auto kRetryAfterFailure = std::chrono::seconds(5);
}

ModelsCatalog::ModelsCatalog(std::vector<ModelInfo> mock_models, OpenAiProvider* upstream,
                             std::chrono::milliseconds ttl)
    : mock_models_(std::move(mock_models)), upstream_(upstream), ttl_(ttl) {}

std::vector<ModelInfo> ModelsCatalog::merged() const {
  std::vector<ModelInfo> out = mock_models_;
  std::unordered_set<std::string> seen;
  for (const auto& m : out) seen.insert(m.id);
  for (const auto& m : upstream_models_) {
    if (seen.insert(m.id).second) out.push_back(m);
  }
  return out;
}

Task<std::vector<ModelInfo>> ModelsCatalog::list() {
  {
    std::lock_guard lock(mutex_);
    // One caller refreshes; the others serve what is cached meanwhile.
    if (!upstream_ || refreshing_ || std::chrono::steady_clock::now() < next_refresh_) {
      co_return merged();
    }
    refreshing_ = true;
  }
  std::optional<std::vector<ModelInfo>> fresh;
  try {
    fresh = co_await upstream_->list_models();
  } catch (const std::exception& e) {
    spdlog::warn("upstream model list unavailable, serving the last good one: {}", e.what());
  }
  std::lock_guard lock(mutex_);
  refreshing_ = false;
  const auto now = std::chrono::steady_clock::now();
  if (fresh) {
    upstream_models_ = std::move(*fresh);
    next_refresh_ = now + ttl_;
  } else {
    next_refresh_ = now + std::min<std::chrono::milliseconds>(ttl_, kRetryAfterFailure);
  }
  co_return merged();
}

}  // namespace agw::providers
