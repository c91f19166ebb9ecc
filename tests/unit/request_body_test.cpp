#include "agw/pipeline/request_body.hpp"

#include <gtest/gtest.h>

#include "agw/core/error.hpp"

using agw::core::ApiError;
using agw::core::ErrorCode;
using agw::pipeline::is_json_content_type;
using agw::pipeline::json_nesting_depth;
using agw::pipeline::kMaxJsonDepth;
using agw::pipeline::parse_inference_body;

namespace {

// The code parse_inference_body fails with, or nullopt when it accepts the body.
std::optional<ErrorCode> failure(std::string_view body) {
  try {
    parse_inference_body(body);
  } catch (const ApiError& e) {
    return e.code();
  }
  return std::nullopt;
}

std::string nested(std::size_t depth) {
  return R"({"model":"mock-1","x":)" + std::string(depth - 1, '[') + std::string(depth - 1, ']') +
         "}";
}

}  // namespace

TEST(JsonNestingDepth, CountsArraysAndObjects) {
  EXPECT_EQ(json_nesting_depth(""), 0u);
  EXPECT_EQ(json_nesting_depth("42"), 0u);
  EXPECT_EQ(json_nesting_depth("{}"), 1u);
  EXPECT_EQ(json_nesting_depth("[[],[[]]]"), 3u);
  EXPECT_EQ(json_nesting_depth(R"({"a":{"b":[1,{"c":2}]},"d":[]})"), 4u);
}

TEST(JsonNestingDepth, IgnoresBracketsInsideStrings) {
  EXPECT_EQ(json_nesting_depth(R"({"a":"[[[[{{{{"})"), 1u);
  EXPECT_EQ(json_nesting_depth(R"({"a":"quote \" [[[ still a string"})"), 1u);
  EXPECT_EQ(json_nesting_depth(R"({"a":"backslash \\","b":[[1]]})"), 3u);
}

TEST(JsonNestingDepth, StrayClosersDoNotUnderflow) {
  EXPECT_EQ(json_nesting_depth("]]]}}}[{"), 2u);
}

TEST(IsJsonContentType, AcceptsJsonMediaTypes) {
  EXPECT_TRUE(is_json_content_type(""));
  EXPECT_TRUE(is_json_content_type("application/json"));
  EXPECT_TRUE(is_json_content_type("application/json; charset=utf-8"));
  EXPECT_TRUE(is_json_content_type("application/json;charset=UTF-8"));
  EXPECT_TRUE(is_json_content_type("Application/JSON"));
  EXPECT_TRUE(is_json_content_type("application/json ; charset=utf-8"));
  EXPECT_TRUE(is_json_content_type("application/vnd.api+json"));
}

TEST(IsJsonContentType, RefusesOtherMediaTypes) {
  EXPECT_FALSE(is_json_content_type("text/plain"));
  EXPECT_FALSE(is_json_content_type("text/json"));
  EXPECT_FALSE(is_json_content_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_json_content_type("multipart/form-data; boundary=x"));
  EXPECT_FALSE(is_json_content_type("application/jsonp"));
  EXPECT_FALSE(is_json_content_type("application/octet-stream"));
}

TEST(ParseInferenceBody, AcceptsAnObjectWithAModel) {
  const auto body = parse_inference_body(R"({"model":"mock-1","messages":[]})");
  EXPECT_EQ(body["model"], "mock-1");
  EXPECT_TRUE(body["messages"].is_array());
}

TEST(ParseInferenceBody, MalformedJsonIsInvalidJson) {
  EXPECT_EQ(failure(""), ErrorCode::invalid_json);
  EXPECT_EQ(failure("{"), ErrorCode::invalid_json);
  EXPECT_EQ(failure(R"({"model":"mock-1",})"), ErrorCode::invalid_json);
  EXPECT_EQ(failure(R"({'model':'mock-1'})"), ErrorCode::invalid_json);
  EXPECT_EQ(failure(R"({"model":"mock-1"} trailing)"), ErrorCode::invalid_json);
  EXPECT_EQ(failure("{\"model\":\"\xff\xfe\"}"), ErrorCode::invalid_json);  // not UTF-8
}

TEST(ParseInferenceBody, NonObjectsAreInvalidBody) {
  EXPECT_EQ(failure(R"([{"model":"mock-1"}])"), ErrorCode::invalid_body);
  EXPECT_EQ(failure(R"("mock-1")"), ErrorCode::invalid_body);
  EXPECT_EQ(failure("42"), ErrorCode::invalid_body);
  EXPECT_EQ(failure("null"), ErrorCode::invalid_body);
  EXPECT_EQ(failure("true"), ErrorCode::invalid_body);
}

TEST(ParseInferenceBody, MissingModel) {
  EXPECT_EQ(failure("{}"), ErrorCode::missing_model);
  EXPECT_EQ(failure(R"({"messages":[]})"), ErrorCode::missing_model);
  EXPECT_EQ(failure(R"({"model":null})"), ErrorCode::missing_model);
  try {
    parse_inference_body("{}");
  } catch (const ApiError& e) {
    EXPECT_EQ(e.param(), "model");
    EXPECT_EQ(e.http_status(), 400);
  }
}

TEST(ParseInferenceBody, NonStringOrEmptyModelIsInvalidModel) {
  EXPECT_EQ(failure(R"({"model":42})"), ErrorCode::invalid_model);
  EXPECT_EQ(failure(R"({"model":true})"), ErrorCode::invalid_model);
  EXPECT_EQ(failure(R"({"model":["mock-1"]})"), ErrorCode::invalid_model);
  EXPECT_EQ(failure(R"({"model":{"id":"mock-1"}})"), ErrorCode::invalid_model);
  EXPECT_EQ(failure(R"({"model":""})"), ErrorCode::invalid_model);
}

TEST(ParseInferenceBody, DeepNestingIsRefusedBeforeParsing) {
  EXPECT_EQ(failure(nested(kMaxJsonDepth)), std::nullopt);
  EXPECT_EQ(failure(nested(kMaxJsonDepth + 1)), ErrorCode::invalid_json);
  // Far deeper than any recursive parser's stack would survive.
  EXPECT_EQ(failure(std::string(1'000'000, '[')), ErrorCode::invalid_json);
}
