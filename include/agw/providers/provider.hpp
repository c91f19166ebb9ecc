#pragma once
// The seam between the gateway and an AI provider. Implementations: MockProvider and the
// OpenAI-compatible HTTP client. A provider runs on the calling coroutine's executor, never
// blocks it, and reports failures the client should see as core::ApiError.
#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "agw/core/task.hpp"

namespace agw::providers {

enum class Endpoint { responses, chat_completions, embeddings, images_generations };

std::string_view endpoint_path(Endpoint e) noexcept;  // "responses", "chat/completions", …

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t images = 0;
  std::int64_t total_tokens() const noexcept { return input_tokens + output_tokens; }
};

struct ProviderRequest {
  const nlohmann::json& body;  // validated: an object with a string "model"
  std::string_view raw_body;   // the same body as bytes to send on (the client's, or re-serialized)
  std::string_view model;
  std::string_view request_id;
};

struct ProviderResponse {
  int status = 200;
  std::string body;  // passed to the client as it is
  std::string content_type = "application/json";
  Usage usage;
  int attempts = 1;
};

class Provider {
 public:
  virtual ~Provider() = default;
  virtual std::string_view name() const noexcept = 0;
  virtual Task<ProviderResponse> call(Endpoint endpoint, ProviderRequest request) = 0;
};

}  // namespace agw::providers
