#include "agw/pipeline/request_body.hpp"

#include <algorithm>
#include <cctype>

#include "agw/core/error.hpp"

namespace agw::pipeline {

using core::ApiError;
using core::ErrorCode;

std::size_t json_nesting_depth(std::string_view text) noexcept {
  std::size_t depth = 0, deepest = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

bool is_json_content_type(std::string_view content_type) noexcept {
  if (content_type.empty()) return true;
  const auto semicolon = content_type.find(';');
  std::string_view media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  std::string lower(media);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower == "application/json" ||
         (lower.starts_with("application/") && lower.ends_with("+json"));
}

nlohmann::json parse_inference_body(std::string_view body) {
  if (json_nesting_depth(body) > kMaxJsonDepth) {
    throw ApiError(ErrorCode::invalid_json, "The JSON body is nested too deeply.");
  }
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw ApiError(ErrorCode::invalid_json,
                   "We could not parse the JSON body of your request. The body must be valid "
                   "JSON.");
  }
  if (!parsed.is_object()) {
    throw ApiError(ErrorCode::invalid_body, "The request body must be a JSON object.");
  }
  const auto model = parsed.find("model");
  if (model == parsed.end() || model->is_null()) {
    throw ApiError(ErrorCode::missing_model, "You must provide a model parameter.", "model");
  }
  if (!model->is_string() || model->get_ref<const std::string&>().empty()) {
    throw ApiError(ErrorCode::invalid_model, "'model' must be a non-empty string.", "model");
  }
  return parsed;
}

}  // namespace agw::pipeline
