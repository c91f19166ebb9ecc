#include "agw/providers/mock_provider.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "agw/core/error.hpp"

using agw::core::ApiError;
using agw::core::ErrorCode;
using agw::core::FixedClock;
using agw::providers::Endpoint;
using agw::providers::MockProvider;
using agw::providers::ProviderRequest;
using agw::providers::ProviderResponse;
using nlohmann::json;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

class MockProviderTest : public ::testing::Test {
 protected:
  MockProvider mock_{std::make_shared<FixedClock>(kNow), std::chrono::milliseconds(0)};

  ProviderResponse call(Endpoint endpoint, const json& body) const {
    const std::string model = body.value("model", "mock-1");
    const std::string raw = body.dump();
    return mock_.answer(
        endpoint,
        ProviderRequest{.body = body, .raw_body = raw, .model = model, .request_id = "req_test"});
  }
  json answer(Endpoint endpoint, const json& body) const {
    const ProviderResponse r = call(endpoint, body);
    EXPECT_EQ(r.status, 200);
    return json::parse(r.body);
  }
  // The error the mock raises for `body`, or nullopt when it answers.
  std::optional<ApiError> error(Endpoint endpoint, const json& body) const {
    try {
      call(endpoint, body);
    } catch (const ApiError& e) {
      return e;
    }
    return std::nullopt;
  }
};

json chat_body() {
  return {
      {"model", "mock-1"},
      {"messages", json::array({{{"role", "system"}, {"content", "You are terse."}},
                                {{"role", "user"}, {"content", "Say hello to the gateway."}}})}};
}

std::vector<float> decode_float32_base64(const std::string& text) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes;
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    const auto pos = kAlphabet.find(c);
    if (pos == std::string::npos) throw std::runtime_error("not base64");
    bits = (bits << 6) | static_cast<std::uint32_t>(pos);
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes.push_back(static_cast<char>((bits >> count) & 0xFF));
    }
  }
  if (bytes.size() % 4 != 0) throw std::runtime_error("not a float32 array");
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), bytes.size());  // little-endian, as OpenAI sends them
  return out;
}

double norm(const std::vector<float>& v) {
  double sum = 0;
  for (const float x : v) sum += static_cast<double>(x) * x;
  return std::sqrt(sum);
}

}  // namespace

TEST(MockProviderModels, ListsTheThreeMockModels) {
  const auto models = MockProvider::models();
  ASSERT_EQ(models.size(), 3u);
  EXPECT_EQ(models[0].id, "mock-1");
  EXPECT_EQ(models[0].endpoints, (std::vector{Endpoint::responses, Endpoint::chat_completions}));
  EXPECT_EQ(models[1].id, "mock-embedding-1");
  EXPECT_EQ(models[1].endpoints, std::vector{Endpoint::embeddings});
  EXPECT_EQ(models[2].id, "mock-image-1");
  EXPECT_EQ(models[2].endpoints, std::vector{Endpoint::images_generations});
  for (const auto& m : models) {
    EXPECT_GT(m.created, 0);
    EXPECT_FALSE(m.owned_by.empty());
  }
}

TEST_F(MockProviderTest, ChatCompletionIsShapedLikeOpenAi) {
  const ProviderResponse r = call(Endpoint::chat_completions, chat_body());
  const json a = json::parse(r.body);
  ASSERT_TRUE(a["id"].is_string());
  EXPECT_TRUE(a["id"].get<std::string>().starts_with("chatcmpl-")) << a["id"];
  EXPECT_EQ(a["object"], "chat.completion");
  EXPECT_EQ(a["created"], kNow);
  EXPECT_EQ(a["model"], "mock-1");
  ASSERT_TRUE(a["choices"].is_array());
  ASSERT_EQ(a["choices"].size(), 1u);
  const json& choice = a["choices"][0];
  EXPECT_EQ(choice["index"], 0);
  EXPECT_EQ(choice["finish_reason"], "stop");
  EXPECT_TRUE(choice.contains("logprobs"));
  EXPECT_EQ(choice["message"]["role"], "assistant");
  ASSERT_TRUE(choice["message"]["content"].is_string());
  EXPECT_FALSE(choice["message"]["content"].get<std::string>().empty());
  EXPECT_TRUE(choice["message"]["refusal"].is_null());

  const json& usage = a["usage"];
  ASSERT_TRUE(usage["prompt_tokens"].is_number_integer());
  ASSERT_TRUE(usage["completion_tokens"].is_number_integer());
  EXPECT_GT(usage["prompt_tokens"].get<std::int64_t>(), 0);
  EXPECT_GT(usage["completion_tokens"].get<std::int64_t>(), 0);
  EXPECT_EQ(
      usage["total_tokens"].get<std::int64_t>(),
      usage["prompt_tokens"].get<std::int64_t>() + usage["completion_tokens"].get<std::int64_t>());
  // The usage the gateway bills is the usage the client sees.
  EXPECT_EQ(r.usage.input_tokens, usage["prompt_tokens"].get<std::int64_t>());
  EXPECT_EQ(r.usage.output_tokens, usage["completion_tokens"].get<std::int64_t>());
  EXPECT_EQ(r.usage.images, 0);
}

TEST_F(MockProviderTest, ChatCompletionIsDeterministicAndDependsOnTheMessages) {
  const json first = answer(Endpoint::chat_completions, chat_body());
  const json again = answer(Endpoint::chat_completions, chat_body());
  EXPECT_EQ(first, again);
  json other_body = chat_body();
  other_body["messages"][1]["content"] = "Something else entirely.";
  const json other = answer(Endpoint::chat_completions, other_body);
  EXPECT_NE(other["id"], first["id"]);
  EXPECT_NE(other["choices"][0]["message"]["content"], first["choices"][0]["message"]["content"]);
}

TEST_F(MockProviderTest, ChatCompletionLongerPromptsCostMoreTokens) {
  json longer = chat_body();
  longer["messages"][1]["content"] = std::string(4000, 'a');
  EXPECT_GT(
      answer(Endpoint::chat_completions, longer)["usage"]["prompt_tokens"].get<int>(),
      answer(Endpoint::chat_completions, chat_body())["usage"]["prompt_tokens"].get<int>() + 900);
}

TEST_F(MockProviderTest, ChatCompletionHonoursN) {
  json body = chat_body();
  body["n"] = 3;
  const json one = answer(Endpoint::chat_completions, chat_body());
  const json a = answer(Endpoint::chat_completions, body);
  ASSERT_EQ(a["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a["choices"][i]["index"], i);
  EXPECT_EQ(a["usage"]["completion_tokens"].get<int>(),
            3 * one["usage"]["completion_tokens"].get<int>());
}

TEST_F(MockProviderTest, MaxTokensTruncatesWithFinishReasonLength) {
  for (const char* field : {"max_tokens", "max_completion_tokens"}) {
    SCOPED_TRACE(field);
    json body = chat_body();
    body[field] = 2;
    const ProviderResponse r = call(Endpoint::chat_completions, body);
    const json a = json::parse(r.body);
    EXPECT_EQ(a["choices"][0]["finish_reason"], "length");
    EXPECT_EQ(a["usage"]["completion_tokens"], 2);
    EXPECT_EQ(r.usage.output_tokens, 2);
    const auto full = answer(Endpoint::chat_completions, chat_body());
    EXPECT_LT(a["choices"][0]["message"]["content"].get<std::string>().size(),
              full["choices"][0]["message"]["content"].get<std::string>().size());
  }
  json generous = chat_body();
  generous["max_tokens"] = 4096;
  EXPECT_EQ(answer(Endpoint::chat_completions, generous)["choices"][0]["finish_reason"], "stop");
}

TEST_F(MockProviderTest, ChatCompletionValidation) {
  json missing = chat_body();
  missing.erase("messages");
  auto e = error(Endpoint::chat_completions, missing);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::missing_parameter);
  EXPECT_EQ(e->param(), "messages");

  for (const json& messages : {json::array(), json("hello"), json(42)}) {
    json body = chat_body();
    body["messages"] = messages;
    e = error(Endpoint::chat_completions, body);
    ASSERT_TRUE(e) << messages;
    EXPECT_EQ(e->code(), ErrorCode::invalid_parameter);
    EXPECT_EQ(e->param(), "messages");
  }
  for (const json& n : {json(0), json(-1), json(129), json("2"), json(1.5)}) {
    json body = chat_body();
    body["n"] = n;
    e = error(Endpoint::chat_completions, body);
    ASSERT_TRUE(e) << n;
    EXPECT_EQ(e->code(), ErrorCode::invalid_parameter);
    EXPECT_EQ(e->param(), "n");
  }
  for (const json& max : {json(0), json(-5), json("10")}) {
    json body = chat_body();
    body["max_tokens"] = max;
    e = error(Endpoint::chat_completions, body);
    ASSERT_TRUE(e) << max;
    EXPECT_EQ(e->param(), "max_tokens");
  }
}

TEST_F(MockProviderTest, ResponseIsShapedLikeOpenAi) {
  const json body = {{"model", "mock-1"}, {"input", "Tell me about gateways."}, {"store", false}};
  const ProviderResponse r = call(Endpoint::responses, body);
  const json a = json::parse(r.body);
  ASSERT_TRUE(a["id"].is_string());
  EXPECT_TRUE(a["id"].get<std::string>().starts_with("resp_")) << a["id"];
  EXPECT_EQ(a["object"], "response");
  EXPECT_EQ(a["created_at"], kNow);
  EXPECT_EQ(a["status"], "completed");
  EXPECT_TRUE(a["error"].is_null());
  EXPECT_TRUE(a["incomplete_details"].is_null());
  EXPECT_EQ(a["model"], "mock-1");
  EXPECT_EQ(a["store"], false);

  ASSERT_TRUE(a["output"].is_array());
  ASSERT_EQ(a["output"].size(), 1u);
  const json& message = a["output"][0];
  EXPECT_EQ(message["type"], "message");
  EXPECT_EQ(message["role"], "assistant");
  EXPECT_EQ(message["status"], "completed");
  EXPECT_TRUE(message["id"].get<std::string>().starts_with("msg_"));
  ASSERT_EQ(message["content"].size(), 1u);
  EXPECT_EQ(message["content"][0]["type"], "output_text");
  EXPECT_FALSE(message["content"][0]["text"].get<std::string>().empty());
  EXPECT_TRUE(message["content"][0]["annotations"].is_array());

  const json& usage = a["usage"];
  EXPECT_GT(usage["input_tokens"].get<std::int64_t>(), 0);
  EXPECT_GT(usage["output_tokens"].get<std::int64_t>(), 0);
  EXPECT_EQ(usage["total_tokens"].get<std::int64_t>(),
            usage["input_tokens"].get<std::int64_t>() + usage["output_tokens"].get<std::int64_t>());
  EXPECT_EQ(r.usage.input_tokens, usage["input_tokens"].get<std::int64_t>());
  EXPECT_EQ(r.usage.output_tokens, usage["output_tokens"].get<std::int64_t>());
}

TEST_F(MockProviderTest, ResponseEchoesStoreAndRequestFields) {
  const json stored =
      answer(Endpoint::responses, {{"model", "mock-1"}, {"input", "hi"}, {"store", true}});
  EXPECT_EQ(stored["store"], true);
  const json full = answer(Endpoint::responses, {{"model", "mock-1"},
                                                 {"input", "hi"},
                                                 {"instructions", "Be brief."},
                                                 {"temperature", 0.2},
                                                 {"metadata", {{"k", "v"}}}});
  EXPECT_EQ(full["instructions"], "Be brief.");
  EXPECT_EQ(full["temperature"], 0.2);
  EXPECT_EQ(full["metadata"], (json{{"k", "v"}}));
}

TEST_F(MockProviderTest, ResponseAcceptsInputItems) {
  const json a =
      answer(Endpoint::responses,
             {{"model", "mock-1"},
              {"input", json::array({{{"role", "user"}, {"content", "What is an AI gateway?"}}})}});
  EXPECT_EQ(a["status"], "completed");
  EXPECT_GT(a["usage"]["input_tokens"].get<int>(), 0);
}

TEST_F(MockProviderTest, ResponseMaxOutputTokensMakesItIncomplete) {
  const json a =
      answer(Endpoint::responses, {{"model", "mock-1"}, {"input", "hi"}, {"max_output_tokens", 3}});
  EXPECT_EQ(a["status"], "incomplete");
  EXPECT_EQ(a["incomplete_details"]["reason"], "max_output_tokens");
  EXPECT_EQ(a["usage"]["output_tokens"], 3);
  EXPECT_EQ(a["max_output_tokens"], 3);
}

TEST_F(MockProviderTest, ResponseValidation) {
  auto e = error(Endpoint::responses, {{"model", "mock-1"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::missing_parameter);
  EXPECT_EQ(e->param(), "input");
  e = error(Endpoint::responses, {{"model", "mock-1"}, {"input", 42}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::invalid_parameter);
  EXPECT_EQ(e->param(), "input");
}

TEST_F(MockProviderTest, EmbeddingsAreUnitVectorsOfTheRequestedSize) {
  const ProviderResponse r =
      call(Endpoint::embeddings, {{"model", "mock-embedding-1"},
                                  {"input", json::array({"first text", "second text"})},
                                  {"dimensions", 256}});
  const json a = json::parse(r.body);
  EXPECT_EQ(a["object"], "list");
  EXPECT_EQ(a["model"], "mock-embedding-1");
  ASSERT_EQ(a["data"].size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    const json& item = a["data"][i];
    EXPECT_EQ(item["object"], "embedding");
    EXPECT_EQ(item["index"], i);
    ASSERT_TRUE(item["embedding"].is_array());
    const auto v = item["embedding"].get<std::vector<float>>();
    EXPECT_EQ(v.size(), 256u);
    EXPECT_NEAR(norm(v), 1.0, 1e-4);
  }
  EXPECT_NE(a["data"][0]["embedding"], a["data"][1]["embedding"]);
  EXPECT_GT(a["usage"]["prompt_tokens"].get<int>(), 0);
  EXPECT_EQ(a["usage"]["total_tokens"], a["usage"]["prompt_tokens"]);
  EXPECT_EQ(r.usage.input_tokens, a["usage"]["prompt_tokens"].get<std::int64_t>());
  EXPECT_EQ(r.usage.output_tokens, 0);
}

TEST_F(MockProviderTest, EmbeddingsDefaultTo1536Dimensions) {
  const json a = answer(Endpoint::embeddings, {{"model", "mock-embedding-1"}, {"input", "x"}});
  EXPECT_EQ(a["data"][0]["embedding"].size(), 1536u);
}

TEST_F(MockProviderTest, EmbeddingsAreDeterministic) {
  const json body = {{"model", "mock-embedding-1"}, {"input", "same text"}, {"dimensions", 64}};
  const json first = answer(Endpoint::embeddings, body);
  EXPECT_EQ(first, answer(Endpoint::embeddings, body));
  // The same text embeds to the same point wherever it sits in the batch.
  const json batch = answer(Endpoint::embeddings, {{"model", "mock-embedding-1"},
                                                   {"input", json::array({"other", "same text"})},
                                                   {"dimensions", 64}});
  EXPECT_EQ(batch["data"][1]["embedding"], first["data"][0]["embedding"]);
}

TEST_F(MockProviderTest, Base64EmbeddingsDecodeToTheFloatValues) {
  json body = {{"model", "mock-embedding-1"}, {"input", "encode me"}, {"dimensions", 100}};
  const auto floats =
      answer(Endpoint::embeddings, body)["data"][0]["embedding"].get<std::vector<float>>();
  body["encoding_format"] = "base64";
  const json a = answer(Endpoint::embeddings, body);
  ASSERT_TRUE(a["data"][0]["embedding"].is_string());
  const auto decoded = decode_float32_base64(a["data"][0]["embedding"].get<std::string>());
  ASSERT_EQ(decoded.size(), 100u);
  for (std::size_t i = 0; i < decoded.size(); ++i) EXPECT_EQ(decoded[i], floats[i]) << i;
  EXPECT_EQ(a["data"][0]["object"], "embedding");
}

TEST_F(MockProviderTest, EmbeddingsAcceptTokenArrays) {
  const json one = answer(Endpoint::embeddings,
                          {{"model", "mock-embedding-1"}, {"input", json::array({1, 2, 3})}});
  EXPECT_EQ(one["data"].size(), 1u);
  const json two = answer(Endpoint::embeddings,
                          {{"model", "mock-embedding-1"},
                           {"input", json::array({json::array({1, 2}), json::array({3})})}});
  EXPECT_EQ(two["data"].size(), 2u);
}

TEST_F(MockProviderTest, EmbeddingsValidation) {
  auto e = error(Endpoint::embeddings, {{"model", "mock-embedding-1"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::missing_parameter);
  EXPECT_EQ(e->param(), "input");
  for (const json& input :
       {json(""), json::array(), json::array({""}), json(42), json::array({json::object()})}) {
    e = error(Endpoint::embeddings, {{"model", "mock-embedding-1"}, {"input", input}});
    ASSERT_TRUE(e) << input;
    EXPECT_EQ(e->code(), ErrorCode::invalid_parameter);
    EXPECT_EQ(e->param(), "input");
  }
  for (const json& format : {json("hex"), json(1), json("FLOAT")}) {
    e = error(Endpoint::embeddings,
              {{"model", "mock-embedding-1"}, {"input", "x"}, {"encoding_format", format}});
    ASSERT_TRUE(e) << format;
    EXPECT_EQ(e->code(), ErrorCode::invalid_parameter);
    EXPECT_EQ(e->param(), "encoding_format");
  }
  for (const json& dims : {json(0), json(3073), json("8"), json(-1)}) {
    e = error(Endpoint::embeddings,
              {{"model", "mock-embedding-1"}, {"input", "x"}, {"dimensions", dims}});
    ASSERT_TRUE(e) << dims;
    EXPECT_EQ(e->param(), "dimensions");
  }
}

TEST_F(MockProviderTest, NullOptionalFieldsMeanTheDefault) {
  // SDKs may send null for an unset option; like OpenAI, null means "use the default".
  const json embedding = answer(Endpoint::embeddings, {{"model", "mock-embedding-1"},
                                                       {"input", "x"},
                                                       {"encoding_format", nullptr},
                                                       {"dimensions", nullptr}});
  EXPECT_TRUE(embedding["data"][0]["embedding"].is_array());
  const json image = answer(Endpoint::images_generations, {{"model", "mock-image-1"},
                                                           {"prompt", "a cat"},
                                                           {"response_format", nullptr},
                                                           {"n", nullptr}});
  ASSERT_EQ(image["data"].size(), 1u);
  EXPECT_TRUE(image["data"][0].contains("url"));
}

TEST_F(MockProviderTest, ImagesAreShapedLikeOpenAi) {
  const ProviderResponse r =
      call(Endpoint::images_generations,
           {{"model", "mock-image-1"}, {"prompt", "a lighthouse"}, {"n", 2}});
  const json a = json::parse(r.body);
  EXPECT_EQ(a["created"], kNow);
  ASSERT_EQ(a["data"].size(), 2u);
  for (const auto& image : a["data"]) {
    ASSERT_TRUE(image["url"].is_string());
    EXPECT_FALSE(image.contains("b64_json"));
    EXPECT_TRUE(image["url"].get<std::string>().starts_with("data:image/png;base64,"));
  }
  EXPECT_EQ(r.usage.images, 2);
  EXPECT_GT(r.usage.input_tokens, 0);
}

TEST_F(MockProviderTest, ImagesAsBase64ArePng) {
  const json a = answer(
      Endpoint::images_generations,
      {{"model", "mock-image-1"}, {"prompt", "a lighthouse"}, {"response_format", "b64_json"}});
  ASSERT_EQ(a["data"].size(), 1u);
  ASSERT_TRUE(a["data"][0]["b64_json"].is_string());
  EXPECT_FALSE(a["data"][0].contains("url"));
  // "\x89PNG" encodes to "iVBORw".
  EXPECT_TRUE(a["data"][0]["b64_json"].get<std::string>().starts_with("iVBORw"));
}

TEST_F(MockProviderTest, ImagesValidation) {
  auto e = error(Endpoint::images_generations, {{"model", "mock-image-1"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->code(), ErrorCode::missing_parameter);
  EXPECT_EQ(e->param(), "prompt");
  e = error(Endpoint::images_generations, {{"model", "mock-image-1"}, {"prompt", ""}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->param(), "prompt");
  for (const json& n : {json(0), json(11), json("2")}) {
    e = error(Endpoint::images_generations, {{"model", "mock-image-1"}, {"prompt", "p"}, {"n", n}});
    ASSERT_TRUE(e) << n;
    EXPECT_EQ(e->code(), ErrorCode::invalid_parameter);
    EXPECT_EQ(e->param(), "n");
  }
  e = error(Endpoint::images_generations,
            {{"model", "mock-image-1"}, {"prompt", "p"}, {"response_format", "jpeg"}});
  ASSERT_TRUE(e);
  EXPECT_EQ(e->param(), "response_format");
}
