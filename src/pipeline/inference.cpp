#include "agw/pipeline/inference.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "agw/core/error.hpp"
#include "agw/http/responses.hpp"
#include "agw/pipeline/request_body.hpp"

namespace agw::pipeline {

using core::ApiError;
using core::ErrorCode;
using Clock = std::chrono::steady_clock;

namespace {

std::string format_millis(Clock::duration d) {
  char text[32];
  const double ms = std::chrono::duration<double, std::milli>(d).count();
  std::snprintf(text, sizeof text, "%.3f", std::max(0.0, ms));
  return text;
}

}  // namespace

InferencePipeline::InferencePipeline(const providers::ProviderRegistry& providers)
    : providers_(providers) {}

// The steps, in order (authentication already happened: api::keyed, before the body is read):
//   1. content type and JSON body (an object with a string model)
//   2. the key may use the model (403 model_not_allowed)
//   3. model → provider (404 model_not_found), endpoint served by the model
//   4. body defaults: `store: false` on /v1/responses when absent (no upstream retention)
//   5. provider call, its wait timed apart from the gateway's own work
//   6. the provider's status and body as they came, plus x-agw-overhead-ms
Task<http::Response> InferencePipeline::run(providers::Endpoint endpoint,
                                            http::Request& request,
                                            const auth::KeyRecord& key) const {
  if (!is_json_content_type(request.header("content-type"))) {
    throw ApiError(ErrorCode::unsupported_content_type,
                   "Unsupported Content-Type: send the body as application/json.");
  }
  nlohmann::json body = parse_inference_body(request.body);
  const std::string model = body["model"].get<std::string>();

  if (!key.allows_model(model)) {
    throw ApiError(ErrorCode::model_not_allowed,
                   "This API key is not allowed to use the model '" + model + "'.", "model");
  }
  providers::Provider* provider = providers_.resolve(model);
  if (provider == nullptr) {
    throw ApiError(ErrorCode::model_not_found,
                   "The model '" + model + "' does not exist or you do not have access to it.",
                   "model");
  }
  if (const auto* info = providers_.mock_model(model);
      info && std::find(info->endpoints.begin(), info->endpoints.end(), endpoint) ==
                  info->endpoints.end()) {
    throw ApiError(ErrorCode::unsupported_model,
                   "The model '" + model + "' does not support /v1/" +
                       std::string(providers::endpoint_path(endpoint)) + ".",
                   "model");
  }
  // The client's bytes go upstream unchanged unless a default had to be added.
  std::string rewritten;
  if (endpoint == providers::Endpoint::responses && !body.contains("store")) {
    body["store"] = false;
    rewritten = body.dump();
  }
  const std::string_view raw_body = rewritten.empty() ? std::string_view(request.body) : rewritten;

  const auto call_started = Clock::now();
  const providers::ProviderRequest call{body, raw_body, model, request.request_id};
  providers::ProviderResponse answer = co_await provider->call(endpoint, call);
  const auto upstream_wait = Clock::now() - call_started;

  http::Response response = http::json_response(answer.status, std::move(answer.body));
  response.content_type = std::move(answer.content_type);
  response.header("x-agw-overhead-ms",
                  format_millis(Clock::now() - request.received_at - upstream_wait));
  co_return response;
}

}  // namespace agw::pipeline
