#include "agw/providers/mock_provider.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include <fmt/format.h>

#include "agw/core/encoding.hpp"
#include "agw/core/error.hpp"

namespace agw::providers {
namespace {

using core::ApiError;
using core::ErrorCode;
using nlohmann::json;

constexpr std::int64_t kModelsCreated = 1735689600;  // 2025-01-01, fixed like OpenAI's ids
constexpr std::size_t kDefaultDimensions = 1536;
constexpr std::size_t kMaxDimensions = 3072;
// A valid 1x1 PNG: what every mock image is.
constexpr std::string_view kPngBase64 =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=";
constexpr std::string_view kAnswerWords[] = {
    "This", "is", "a", "deterministic", "answer", "from", "the", "ai-gateway", "mock",
    "provider;", "no", "model", "was", "called", "and", "nothing", "was", "billed."};

// About four characters per token, as OpenAI's rule of thumb; never zero for non-empty text.
std::int64_t estimate_tokens(std::string_view text) {
  return static_cast<std::int64_t>((text.size() + 3) / 4);
}

// Tokens of every string inside a JSON value (message contents, input items, …).
std::int64_t count_text_tokens(const json& value) {
  if (value.is_string()) return estimate_tokens(value.get_ref<const std::string&>());
  std::int64_t total = 0;
  if (value.is_array() || value.is_object()) {
    for (const auto& item : value) total += count_text_tokens(item);
  }
  return total;
}

std::int64_t optional_limit(const json& body, std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const auto it = body.find(name);
    if (it == body.end() || it->is_null()) continue;
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1) {
      throw ApiError(ErrorCode::invalid_parameter,
                     std::string("'") + name + "' must be a positive integer.", name);
    }
    return it->get<std::int64_t>();
  }
  return 0;
}

std::int64_t count_param(const json& body, const char* name, std::int64_t max) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return 1;
  if (!it->is_number_integer() || it->get<std::int64_t>() < 1 || it->get<std::int64_t>() > max) {
    throw ApiError(ErrorCode::invalid_parameter,
                   std::string("'") + name + "' must be an integer from 1 to " +
                       std::to_string(max) + ".",
                   name);
  }
  return it->get<std::int64_t>();
}

struct Answer {
  std::string text;
  std::int64_t tokens = 0;
  bool truncated = false;
};

// The answer for a conversation fingerprint, cut to `max_tokens` when given.
Answer make_answer(std::uint64_t fingerprint, std::int64_t max_tokens) {
  Answer a;
  a.text = "Mock " + core::to_hex(fingerprint, 8) + ":";
  for (const auto word : kAnswerWords) {
    a.text += ' ';
    a.text += word;
  }
  a.tokens = estimate_tokens(a.text);
  if (max_tokens > 0 && a.tokens > max_tokens) {
    a.text.resize(static_cast<std::size_t>(max_tokens) * 4);
    a.tokens = max_tokens;
    a.truncated = true;
  }
  return a;
}

const json& require(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    throw ApiError(ErrorCode::missing_parameter,
                   std::string("Missing required parameter: '") + name + "'.", name);
  }
  return *it;
}

std::string chat_completion(const json& body, std::string_view model, std::int64_t now,
                            Usage& usage) {
  const json& messages = require(body, "messages");
  if (!messages.is_array() || messages.empty()) {
    throw ApiError(ErrorCode::invalid_parameter, "'messages' must be a non-empty array.",
                   "messages");
  }
  const std::int64_t n = count_param(body, "n", 128);
  const std::int64_t max_tokens = optional_limit(body, {"max_completion_tokens", "max_tokens"});
  const std::uint64_t fingerprint = core::fnv1a64(messages.dump());
  const Answer answer = make_answer(fingerprint, max_tokens);

  usage.input_tokens = count_text_tokens(messages) + 3 * static_cast<std::int64_t>(messages.size());
  usage.output_tokens = answer.tokens * n;
  // Written directly, in OpenAI's field order: this is the mock's hot path (benchmarks), and a
  // JSON tree built only to be serialized cost a sixth of a request's CPU time.
  const std::string quoted_model = json(model).dump();
  const std::string quoted_text = json(answer.text).dump();
  const char* finish_reason = answer.truncated ? "length" : "stop";
  std::string out;
  out.reserve(512 + static_cast<std::size_t>(n) * (160 + quoted_text.size()));
  auto it = std::back_inserter(out);
  fmt::format_to(it, R"({{"id":"chatcmpl-mock{}","object":"chat.completion","created":{},"model":{},"choices":[)",
                 core::to_hex(fingerprint), now, quoted_model);
  for (std::int64_t i = 0; i < n; ++i) {
    fmt::format_to(it,
                   R"({}{{"index":{},"message":{{"role":"assistant","content":{},"refusal":null,)"
                   R"("annotations":[]}},"logprobs":null,"finish_reason":"{}"}})",
                   i == 0 ? "" : ",", i, quoted_text, finish_reason);
  }
  fmt::format_to(it,
                 R"(],"usage":{{"prompt_tokens":{},"completion_tokens":{},"total_tokens":{},)"
                 R"("prompt_tokens_details":{{"cached_tokens":0,"audio_tokens":0}},)"
                 R"("completion_tokens_details":{{"reasoning_tokens":0,"audio_tokens":0,)"
                 R"("accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}},)"
                 R"("service_tier":"default","system_fingerprint":"fp_mock"}})",
                 usage.input_tokens, usage.output_tokens, usage.total_tokens());
  return out;
}

// An optional field's value; absent or null (as SDKs send an unset option) means the default.
json field_or(const json& body, const char* name, json fallback) {
  const auto it = body.find(name);
  return it == body.end() || it->is_null() ? std::move(fallback) : *it;
}

std::string response_object(const json& body, std::string_view model, std::int64_t now,
                            Usage& usage) {
  const json& input = require(body, "input");
  if (!input.is_string() && !input.is_array()) {
    throw ApiError(ErrorCode::invalid_parameter, "'input' must be a string or an array.", "input");
  }
  const std::int64_t max_tokens = optional_limit(body, {"max_output_tokens"});
  const std::uint64_t fingerprint = core::fnv1a64(input.dump() + field_or(body, "instructions", "").dump());
  const Answer answer = make_answer(fingerprint, max_tokens);
  usage.input_tokens = count_text_tokens(input) + count_text_tokens(field_or(body, "instructions", ""));
  usage.output_tokens = answer.tokens;
  const std::string id = core::to_hex(fingerprint);
  json out = {
      {"id", "resp_mock" + id},
      {"object", "response"},
      {"created_at", now},
      {"status", answer.truncated ? "incomplete" : "completed"},
      {"background", false},
      {"error", nullptr},
      {"incomplete_details",
       answer.truncated ? json{{"reason", "max_output_tokens"}} : json(nullptr)},
      {"instructions", field_or(body, "instructions", nullptr)},
      {"max_output_tokens", field_or(body, "max_output_tokens", nullptr)},
      {"model", model},
      {"output",
       json::array({{{"id", "msg_mock" + id},
                     {"type", "message"},
                     {"status", answer.truncated ? "incomplete" : "completed"},
                     {"role", "assistant"},
                     {"content", json::array({{{"type", "output_text"},
                                               {"text", answer.text},
                                               {"annotations", json::array()},
                                               {"logprobs", json::array()}}})}}})},
      {"parallel_tool_calls", field_or(body, "parallel_tool_calls", true)},
      {"previous_response_id", field_or(body, "previous_response_id", nullptr)},
      {"reasoning", {{"effort", nullptr}, {"summary", nullptr}}},
      {"service_tier", "default"},
      {"store", field_or(body, "store", false)},
      {"temperature", field_or(body, "temperature", 1.0)},
      {"text", field_or(body, "text", json{{"format", {{"type", "text"}}}})},
      {"tool_choice", field_or(body, "tool_choice", "auto")},
      {"tools", field_or(body, "tools", json::array())},
      {"top_p", field_or(body, "top_p", 1.0)},
      {"truncation", field_or(body, "truncation", "disabled")},
      {"usage",
       {{"input_tokens", usage.input_tokens},
        {"input_tokens_details", {{"cached_tokens", 0}}},
        {"output_tokens", usage.output_tokens},
        {"output_tokens_details", {{"reasoning_tokens", 0}}},
        {"total_tokens", usage.total_tokens()}}},
      {"user", field_or(body, "user", nullptr)},
      {"metadata", field_or(body, "metadata", json::object())}};
  return out.dump();
}

// Inputs of an embeddings call as texts (token arrays are fingerprinted by their JSON).
std::vector<std::string> embedding_inputs(const json& input) {
  auto bad = [] {
    return ApiError(ErrorCode::invalid_parameter,
                    "'input' must be a string, an array of strings, an array of tokens or an "
                    "array of token arrays, and not empty.",
                    "input");
  };
  std::vector<std::string> texts;
  if (input.is_string()) {
    texts.push_back(input.get<std::string>());
  } else if (input.is_array() && !input.empty()) {
    if (input.front().is_number_integer()) {
      texts.push_back(input.dump());
    } else {
      for (const auto& item : input) {
        if (item.is_string()) texts.push_back(item.get<std::string>());
        else if (item.is_array() && !item.empty()) texts.push_back(item.dump());
        else throw bad();
      }
    }
  } else {
    throw bad();
  }
  for (const auto& t : texts) {
    if (t.empty()) throw bad();
  }
  return texts;
}

// A unit vector seeded by the text: the same text always embeds to the same point.
std::vector<float> embed(std::string_view text, std::size_t dimensions) {
  std::mt19937_64 generator(core::fnv1a64(text));
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<float> v(dimensions);
  double norm = 0;
  for (auto& x : v) {
    x = normal(generator);
    norm += static_cast<double>(x) * x;
  }
  const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
  for (auto& x : v) x *= scale;
  return v;
}

std::string embeddings(const json& body, std::string_view model, Usage& usage) {
  const auto texts = embedding_inputs(require(body, "input"));
  const std::string format = field_or(body, "encoding_format", "float").is_string()
                                 ? field_or(body, "encoding_format", "float").get<std::string>()
                                 : "";
  if (format != "float" && format != "base64") {
    throw ApiError(ErrorCode::invalid_parameter, "'encoding_format' must be 'float' or 'base64'.",
                   "encoding_format");
  }
  std::size_t dimensions = kDefaultDimensions;
  if (const auto it = body.find("dimensions"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > static_cast<std::int64_t>(kMaxDimensions)) {
      throw ApiError(ErrorCode::invalid_parameter, "'dimensions' must be an integer from 1 to 3072.",
                     "dimensions");
    }
    dimensions = it->get<std::size_t>();
  }
  json data = json::array();
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto vector = embed(texts[i], dimensions);
    json item = {{"object", "embedding"}, {"index", i}};
    if (format == "base64") {
      // OpenAI's base64 form: the little-endian float32 bytes (x86-64 is little-endian).
      item["embedding"] = core::base64_encode(std::string_view(
          reinterpret_cast<const char*>(vector.data()), vector.size() * sizeof(float)));
    } else {
      item["embedding"] = vector;
    }
    data.push_back(std::move(item));
    usage.input_tokens += estimate_tokens(texts[i]);
  }
  json out = {{"object", "list"},
              {"data", std::move(data)},
              {"model", model},
              {"usage", {{"prompt_tokens", usage.input_tokens}, {"total_tokens", usage.input_tokens}}}};
  return out.dump();
}

std::string image_generation(const json& body, std::int64_t now, Usage& usage) {
  const json& prompt = require(body, "prompt");
  if (!prompt.is_string() || prompt.get_ref<const std::string&>().empty()) {
    throw ApiError(ErrorCode::invalid_parameter, "'prompt' must be a non-empty string.", "prompt");
  }
  const std::int64_t n = count_param(body, "n", 10);
  const json format = field_or(body, "response_format", "url");
  if (format != "url" && format != "b64_json") {
    throw ApiError(ErrorCode::invalid_parameter, "'response_format' must be 'url' or 'b64_json'.",
                   "response_format");
  }
  json data = json::array();
  for (std::int64_t i = 0; i < n; ++i) {
    if (format == "b64_json") {
      data.push_back({{"b64_json", kPngBase64}, {"revised_prompt", prompt}});
    } else {
      data.push_back({{"url", "data:image/png;base64," + std::string(kPngBase64)},
                      {"revised_prompt", prompt}});
    }
  }
  usage.input_tokens = estimate_tokens(prompt.get_ref<const std::string&>());
  usage.images = n;
  json out = {{"created", now},
              {"data", std::move(data)},
              {"usage",
               {{"input_tokens", usage.input_tokens},
                {"input_tokens_details", {{"text_tokens", usage.input_tokens}, {"image_tokens", 0}}},
                {"output_tokens", 0},
                {"total_tokens", usage.input_tokens}}}};
  return out.dump();
}

}  // namespace

MockProvider::MockProvider(std::shared_ptr<const core::Clock> clock,
                           std::chrono::milliseconds latency)
    : clock_(std::move(clock)), latency_(latency) {}

std::vector<ModelInfo> MockProvider::models() {
  return {
      {"mock-1", kModelsCreated, "ai-gateway", {Endpoint::responses, Endpoint::chat_completions}},
      {"mock-embedding-1", kModelsCreated, "ai-gateway", {Endpoint::embeddings}},
      {"mock-image-1", kModelsCreated, "ai-gateway", {Endpoint::images_generations}},
  };
}

ProviderResponse MockProvider::answer(Endpoint endpoint, const ProviderRequest& request) const {
  ProviderResponse out;
  const std::int64_t now = clock_->unix_seconds();
  switch (endpoint) {
    case Endpoint::chat_completions:
      out.body = chat_completion(request.body, request.model, now, out.usage);
      break;
    case Endpoint::responses:
      out.body = response_object(request.body, request.model, now, out.usage);
      break;
    case Endpoint::embeddings:
      out.body = embeddings(request.body, request.model, out.usage);
      break;
    case Endpoint::images_generations:
      out.body = image_generation(request.body, now, out.usage);
      break;
  }
  return out;
}

Task<ProviderResponse> MockProvider::call(Endpoint endpoint, ProviderRequest request) {
  if (latency_.count() > 0) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, latency_);
    co_await timer.async_wait(boost::asio::use_awaitable);
  }
  co_return answer(endpoint, request);
}

}  // namespace agw::providers
