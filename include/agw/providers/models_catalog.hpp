#pragma once
// GET /v1/models: the mock models plus the upstream's list, cached for MODELS_CACHE_TTL_S so a
// models call does not reach the upstream each time. When the upstream fails, the last good
// list is served (and the next try waits a little). Thread-safe.
#include <chrono>
#include <mutex>
#include <vector>

#include "agw/core/task.hpp"
#include "agw/providers/registry.hpp"

namespace agw::providers {

class OpenAiProvider;

class ModelsCatalog {
 public:
  ModelsCatalog(std::vector<ModelInfo> mock_models, OpenAiProvider* upstream,
                std::chrono::milliseconds ttl);

  Task<std::vector<ModelInfo>> list();

 private:
  std::vector<ModelInfo> merged() const;  // mutex held

  std::vector<ModelInfo> mock_models_;
  OpenAiProvider* upstream_;
  std::chrono::milliseconds ttl_;
  mutable std::mutex mutex_;
  std::vector<ModelInfo> upstream_models_;
  std::chrono::steady_clock::time_point next_refresh_{};
  bool refreshing_ = false;
};

}  // namespace agw::providers
