#pragma once
// A provider that answers locally, deterministically and for free, shaped field by field like
// OpenAI's answers so the official SDKs parse them. Models: mock-1 (responses, chat),
// mock-embedding-1, mock-image-1. The same request always gets the same content, ids and usage;
// `created` comes from the injected clock. MOCK_LATENCY_MS waits on a timer, blocking no thread.
#include <chrono>
#include <memory>
#include <vector>

#include "agw/core/clock.hpp"
#include "agw/providers/provider.hpp"
#include "agw/providers/registry.hpp"

namespace agw::providers {

class MockProvider final : public Provider {
 public:
  MockProvider(std::shared_ptr<const core::Clock> clock, std::chrono::milliseconds latency);

  static std::vector<ModelInfo> models();

  std::string_view name() const noexcept override { return "mock"; }
  Task<ProviderResponse> call(Endpoint endpoint, ProviderRequest request) override;

  // The answer without the latency: pure, for unit tests.
  ProviderResponse answer(Endpoint endpoint, const ProviderRequest& request) const;

 private:
  std::shared_ptr<const core::Clock> clock_;
  std::chrono::milliseconds latency_;
};

}  // namespace agw::providers
