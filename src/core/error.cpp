#include "agw/core/error.hpp"

#include <nlohmann/json.hpp>

namespace agw::core {

ErrorInfo describe(ErrorCode code) noexcept {
  constexpr std::string_view kInvalid = "invalid_request_error";
  switch (code) {
    case ErrorCode::invalid_json: return {400, kInvalid, "invalid_json"};
    case ErrorCode::invalid_body: return {400, kInvalid, "invalid_body"};
    case ErrorCode::missing_model: return {400, kInvalid, "missing_model"};
    case ErrorCode::invalid_model: return {400, kInvalid, "invalid_model"};
    case ErrorCode::missing_parameter: return {400, kInvalid, "missing_required_parameter"};
    case ErrorCode::invalid_parameter: return {400, kInvalid, "invalid_value"};
    case ErrorCode::unsupported_model: return {400, kInvalid, "unsupported_model"};
    case ErrorCode::unsupported_content_type: return {400, kInvalid, "unsupported_content_type"};
    case ErrorCode::bad_request: return {400, kInvalid, "bad_request"};
    case ErrorCode::invalid_api_key: return {401, "authentication_error", "invalid_api_key"};
    case ErrorCode::model_not_allowed: return {403, "permission_error", "model_not_allowed"};
    case ErrorCode::not_found: return {404, "not_found_error", "not_found"};
    case ErrorCode::model_not_found: return {404, "not_found_error", "model_not_found"};
    case ErrorCode::method_not_allowed: return {405, kInvalid, "method_not_allowed"};
    case ErrorCode::idempotency_conflict: return {409, kInvalid, "idempotency_key_reused"};
    case ErrorCode::payload_too_large: return {413, kInvalid, "payload_too_large"};
    case ErrorCode::headers_too_large: return {431, kInvalid, "headers_too_large"};
    case ErrorCode::rate_limit_exceeded: return {429, "rate_limit_error", "rate_limit_exceeded"};
    case ErrorCode::insufficient_quota: return {429, "insufficient_quota", "insufficient_quota"};
    case ErrorCode::internal_error: return {500, "server_error", "internal_error"};
    case ErrorCode::upstream_error: return {502, "server_error", "upstream_error"};
    case ErrorCode::not_ready: return {503, "server_error", "not_ready"};
    case ErrorCode::upstream_timeout: return {504, "server_error", "upstream_timeout"};
  }
  return {500, "server_error", "internal_error"};
}

std::string ApiError::to_json() const {
  const ErrorInfo info = describe(code_);
  nlohmann::json err = {{"message", what()},
                        {"type", info.type},
                        {"param", nullptr},
                        {"code", info.code}};
  if (param_) err["param"] = *param_;
  return nlohmann::json{{"error", std::move(err)}}.dump();
}

}  // namespace agw::core
