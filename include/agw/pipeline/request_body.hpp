#pragma once
// Validation of an inference request's body, shared by the sync routes and (later) jobs.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace agw::pipeline {

// Deepest nesting of arrays and objects in `text`, scanning past strings. Bodies nested beyond
// kMaxJsonDepth are refused before parsing, so no recursive walk can overflow the stack.
std::size_t json_nesting_depth(std::string_view text) noexcept;
inline constexpr std::size_t kMaxJsonDepth = 64;

// Accepts a missing Content-Type, application/json (any parameters) and application/*+json.
bool is_json_content_type(std::string_view content_type) noexcept;

// Parses an object body carrying a non-empty string "model"; throws core::ApiError otherwise.
nlohmann::json parse_inference_body(std::string_view body);

}  // namespace agw::pipeline
