#pragma once
// Building responses: JSON bodies and OpenAI error envelopes.
#include "agw/core/error.hpp"
#include "agw/http/message.hpp"

namespace agw::http {

Response json_response(int status, std::string body);
Response error_response(const core::ApiError& error);
inline Response error_response(core::ErrorCode code, std::string message,
                               std::optional<std::string> param = std::nullopt) {
  return error_response(core::ApiError(code, std::move(message), std::move(param)));
}

}  // namespace agw::http
