#pragma once
// A provider for OpenAI-compatible upstreams (OpenAI, OpenRouter, vLLM, llama.cpp's server, …).
// The client's body goes upstream as it came (store:false added on /v1/responses by the
// pipeline), with the gateway's own credentials; a 2xx answer comes back unchanged, its usage
// read for accounting; an upstream 4xx is passed through; failures are retried per RetryPolicy
// and end as 502 (broken or unreachable upstream, 5xx after retries, non-JSON 2xx) or 504.
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "agw/providers/provider.hpp"
#include "agw/providers/registry.hpp"
#include "agw/providers/retry_policy.hpp"
#include "agw/providers/upstream_client.hpp"

namespace agw::metrics {
class UpstreamMetrics;
}

namespace agw::providers {

struct OpenAiOptions {
  std::string api_key;       // sent as Authorization: Bearer (omitted when empty)
  std::string http_referer;  // OpenRouter's HTTP-Referer (omitted when empty)
  std::string title;         // OpenRouter's X-Title (omitted when empty)
  std::chrono::milliseconds timeout{300'000};  // the whole call, retries and waits included
  RetryPolicy retry;
};

class OpenAiProvider final : public Provider {
 public:
  OpenAiProvider(UpstreamClient& client, OpenAiOptions options, metrics::UpstreamMetrics& metrics);

  std::string_view name() const noexcept override { return "openai"; }
  Task<ProviderResponse> call(Endpoint endpoint, ProviderRequest request) override;
  // GET /v1/models of the upstream; throws core::ApiError when it cannot be had.
  Task<std::vector<ModelInfo>> list_models();

 private:
  // Sends with retries; returns the final upstream answer (any status) or throws ApiError.
  Task<IncomingResponse> send_with_retries(const OutgoingRequest& request, int& attempts);
  std::vector<std::pair<std::string, std::string>> headers(std::string_view request_id) const;

  UpstreamClient& client_;
  OpenAiOptions options_;
  metrics::UpstreamMetrics& metrics_;
};

}  // namespace agw::providers
