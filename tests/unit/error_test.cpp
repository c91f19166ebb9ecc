#include "agw/core/error.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "agw/http/responses.hpp"

using agw::core::ApiError;
using agw::core::describe;
using agw::core::ErrorCode;
using nlohmann::json;

TEST(ApiError, EnvelopeHasExactlyOpenAiFields) {
  const ApiError error(ErrorCode::missing_model, "You must provide a model parameter.", "model");
  const json body = json::parse(error.to_json());
  ASSERT_TRUE(body.is_object());
  ASSERT_EQ(body.size(), 1u);
  const json& e = body.at("error");
  ASSERT_TRUE(e.is_object());
  EXPECT_EQ(e.size(), 4u);
  EXPECT_EQ(e.at("message"), "You must provide a model parameter.");
  EXPECT_EQ(e.at("type"), "invalid_request_error");
  EXPECT_EQ(e.at("param"), "model");
  EXPECT_EQ(e.at("code"), "missing_model");
  EXPECT_EQ(error.http_status(), 400);
  EXPECT_EQ(std::string(error.what()), "You must provide a model parameter.");
}

TEST(ApiError, ParamIsNullWhenAbsent) {
  const json body = json::parse(ApiError(ErrorCode::not_found, "nope").to_json());
  EXPECT_TRUE(body["error"].contains("param"));
  EXPECT_TRUE(body["error"]["param"].is_null());
  EXPECT_EQ(body["error"]["code"], "not_found");
}

TEST(ApiError, MessageIsEscapedIntoValidJson) {
  const std::string message = "quote \" backslash \\ newline \n tab \t";
  const json body = json::parse(ApiError(ErrorCode::bad_request, message).to_json());
  EXPECT_EQ(body["error"]["message"], message);
}

TEST(ApiError, ErrorResponseCarriesStatusBodyAndMetricLabel) {
  const auto response = agw::http::error_response(ErrorCode::model_not_found,
                                                  "The model 'x' does not exist.", "model");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.error_code, "model_not_found");
  const json body = json::parse(response.body);
  EXPECT_EQ(body["error"]["type"], "not_found_error");
  EXPECT_EQ(body["error"]["code"], "model_not_found");
  EXPECT_EQ(body["error"]["param"], "model");
}

struct Expected {
  ErrorCode code;
  int status;
  const char* type;
  const char* label;
};

// SPEC §2: the status, OpenAI's error class and error.code for every client-visible failure.
TEST(ApiError, EveryCodeMapsToItsStatusTypeAndCode) {
  constexpr const char* kInvalid = "invalid_request_error";
  const Expected table[] = {
      {ErrorCode::invalid_json, 400, kInvalid, "invalid_json"},
      {ErrorCode::invalid_body, 400, kInvalid, "invalid_body"},
      {ErrorCode::missing_model, 400, kInvalid, "missing_model"},
      {ErrorCode::invalid_model, 400, kInvalid, "invalid_model"},
      {ErrorCode::missing_parameter, 400, kInvalid, "missing_required_parameter"},
      {ErrorCode::invalid_parameter, 400, kInvalid, "invalid_value"},
      {ErrorCode::unsupported_model, 400, kInvalid, "unsupported_model"},
      {ErrorCode::unsupported_content_type, 400, kInvalid, "unsupported_content_type"},
      {ErrorCode::bad_request, 400, kInvalid, "bad_request"},
      {ErrorCode::invalid_api_key, 401, "authentication_error", "invalid_api_key"},
      {ErrorCode::model_not_allowed, 403, "permission_error", "model_not_allowed"},
      {ErrorCode::not_found, 404, "not_found_error", "not_found"},
      {ErrorCode::model_not_found, 404, "not_found_error", "model_not_found"},
      {ErrorCode::method_not_allowed, 405, kInvalid, "method_not_allowed"},
      {ErrorCode::idempotency_conflict, 409, kInvalid, "idempotency_key_reused"},
      {ErrorCode::payload_too_large, 413, kInvalid, "payload_too_large"},
      {ErrorCode::headers_too_large, 431, kInvalid, "headers_too_large"},
      {ErrorCode::rate_limit_exceeded, 429, "rate_limit_error", "rate_limit_exceeded"},
      {ErrorCode::insufficient_quota, 429, "insufficient_quota", "insufficient_quota"},
      {ErrorCode::internal_error, 500, "server_error", "internal_error"},
      {ErrorCode::upstream_error, 502, "server_error", "upstream_error"},
      {ErrorCode::not_ready, 503, "server_error", "not_ready"},
      {ErrorCode::upstream_timeout, 504, "server_error", "upstream_timeout"},
  };
  for (const auto& want : table) {
    SCOPED_TRACE(want.label);
    const auto info = describe(want.code);
    EXPECT_EQ(info.status, want.status);
    EXPECT_EQ(info.type, want.type);
    EXPECT_EQ(info.code, want.label);
    const ApiError error(want.code, "m");
    EXPECT_EQ(error.http_status(), want.status);
    const json body = json::parse(error.to_json());
    EXPECT_EQ(body["error"]["type"], want.type);
    EXPECT_EQ(body["error"]["code"], want.label);
  }
}

TEST(ApiError, UnknownCodeFallsBackToServerError) {
  const auto info = describe(static_cast<ErrorCode>(9999));
  EXPECT_EQ(info.status, 500);
  EXPECT_EQ(info.type, "server_error");
}
