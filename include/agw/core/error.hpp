#pragma once
// Client-visible failures. Code is independent of HTTP; http_status()/to_json() are the one
// place that maps it to a status, OpenAI's error envelope and a metric label.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agw::core {

enum class ErrorCode {
  invalid_json,               // 400 body is not JSON
  invalid_body,               // 400 JSON but not an object
  missing_model,              // 400
  invalid_model,              // 400 model present but not a non-empty string
  missing_parameter,          // 400 a required field is absent
  invalid_parameter,          // 400 a field has the wrong type or value
  unsupported_model,          // 400 the model exists but not for this endpoint
  unsupported_content_type,   // 400
  bad_request,                // 400 the HTTP request itself could not be parsed
  invalid_api_key,            // 401
  model_not_allowed,          // 403
  not_found,                  // 404 route or object
  model_not_found,            // 404
  method_not_allowed,         // 405
  idempotency_conflict,       // 409
  payload_too_large,          // 413
  headers_too_large,          // 431
  rate_limit_exceeded,        // 429
  insufficient_quota,         // 429
  internal_error,             // 500
  upstream_error,             // 502
  not_ready,                  // 503
  upstream_timeout,           // 504
};

struct ErrorInfo {
  int status;
  std::string_view type;  // OpenAI's error class
  std::string_view code;  // error.code and the metric label
};

ErrorInfo describe(ErrorCode code) noexcept;

// A failure the client sees. `message` is safe to show; nothing internal goes in it.
class ApiError : public std::runtime_error {
 public:
  ApiError(ErrorCode code, std::string message, std::optional<std::string> param = std::nullopt)
      : std::runtime_error(std::move(message)), code_(code), param_(std::move(param)) {}

  ErrorCode code() const noexcept { return code_; }
  const std::optional<std::string>& param() const noexcept { return param_; }
  int http_status() const noexcept { return describe(code_).status; }
  // Headers the response must carry (Retry-After, rate-limit state, Allow).
  const std::vector<std::pair<std::string, std::string>>& headers() const noexcept {
    return headers_;
  }
  ApiError& with_header(std::string name, std::string value) & {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  ApiError&& with_header(std::string name, std::string value) && {
    headers_.emplace_back(std::move(name), std::move(value));
    return std::move(*this);
  }
  // {"error":{"message","type","param","code"}}
  std::string to_json() const;

 private:
  ErrorCode code_;
  std::optional<std::string> param_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace agw::core
