// The OpenAI-compatible provider end to end: the real gateway (DEFAULT_PROVIDER=openai) in front
// of the fake upstream, over HTTP and TLS.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/e2e_helpers.hpp"
#include "support/fake_upstream.hpp"
#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kChat = R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]})";

std::map<std::string, std::string> openai_env(const std::string& base_url,
                                              std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> env = {{"DEFAULT_PROVIDER", "openai"},
                                            {"OPENAI_BASE_URL", base_url},
                                            {"OPENAI_API_KEY", "sk-upstream-secret"},
                                            {"UPSTREAM_RETRY_BASE_MS", "10"},
                                            {"ACCESS_LOG", "false"}};
  for (auto& [k, v] : extra) env[k] = std::move(v);
  return env;
}

long long elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

}  // namespace

TEST(OpenAiProvider, ForwardsPathHeadersAndBodyWithoutTheClientKey) {
  FakeUpstream upstream;
  GatewayProcess gw(openai_env(upstream.base_url() + "/",
                               {{"OPENAI_HTTP_REFERER", "https://app.example"},
                                {"OPENAI_TITLE", "Example App"}}));
  HttpClient client(gw);
  auto r = client.post_json("/v1/responses", R"({"model":"gpt-4o-mini","input":"hello"})",
                            {{"X-Request-Id", "trace-123"}, {"Cookie", "session=abc"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(r.header("x-agw-overhead-ms").empty());
  ASSERT_EQ(upstream.requests().size(), 1u);
  const auto sent = upstream.requests()[0];
  EXPECT_EQ(sent.method, "POST");
  EXPECT_EQ(sent.target, "/v1/responses");
  EXPECT_EQ(json::parse(sent.body)["store"], false);
  EXPECT_EQ(json::parse(sent.body)["input"], "hello");
  EXPECT_EQ(sent.headers.at("authorization"), "Bearer sk-upstream-secret");
  EXPECT_EQ(sent.headers.at("http-referer"), "https://app.example");
  EXPECT_EQ(sent.headers.at("x-title"), "Example App");
  EXPECT_EQ(sent.headers.at("x-request-id"), "trace-123");
  EXPECT_EQ(sent.headers.at("accept-encoding"), "identity");
  EXPECT_FALSE(sent.headers.contains("cookie"));
  EXPECT_FALSE(sent.headers.contains("x-api-key"));
  for (const auto& [name, value] : sent.headers) {
    EXPECT_EQ(value.find(gw.api_key()), std::string::npos) << name;
  }

  // A chat body is forwarded byte for byte.
  const std::string chat = R"({"model":"gpt-4o-mini", "messages":[{"role":"user","content":"x"}]})";
  ASSERT_EQ(client.post_json("/v1/chat/completions", chat).status, 200);
  EXPECT_EQ(upstream.requests()[1].target, "/v1/chat/completions");
  EXPECT_EQ(upstream.requests()[1].body, chat);
}

TEST(OpenAiProvider, BaseUrlWithOrWithoutV1MapsEveryEndpoint) {
  for (const std::string suffix : {"", "/v1", "/v1/", "/api", "/api/v1/"}) {
    FakeUpstream upstream;
    GatewayProcess gw(openai_env(upstream.base_url() + suffix));
    HttpClient client(gw);
    const std::string prefix = suffix.starts_with("/api") ? "/api/v1/" : "/v1/";
    ASSERT_EQ(client.post_json("/v1/chat/completions", kChat).status, 200) << suffix;
    ASSERT_EQ(client.post_json("/v1/embeddings", R"({"model":"m","input":"x"})").status, 200);
    ASSERT_EQ(client.post_json("/v1/images/generations", R"({"model":"m","prompt":"x"})").status,
              200);
    ASSERT_EQ(client.post_json("/v1/responses", R"({"model":"m","input":"x"})").status, 200);
    ASSERT_EQ(client.get("/v1/models").status, 200);
    const auto seen = upstream.requests();
    ASSERT_EQ(seen.size(), 5u) << suffix;
    EXPECT_EQ(seen[0].target, prefix + "chat/completions") << suffix;
    EXPECT_EQ(seen[1].target, prefix + "embeddings") << suffix;
    EXPECT_EQ(seen[2].target, prefix + "images/generations") << suffix;
    EXPECT_EQ(seen[3].target, prefix + "responses") << suffix;
    EXPECT_EQ(seen[4].target, prefix + "models") << suffix;
    EXPECT_EQ(seen[4].method, "GET");
  }
}

TEST(OpenAiProvider, RetriesOn429WithRetryAfterAndOn503ButNotOn400) {
  FakeUpstream upstream;
  GatewayProcess gw(openai_env(upstream.base_url()));
  HttpClient client(gw);

  upstream.push({.status = 429, .headers = {{"Retry-After", "1"}}});
  auto started = Clock::now();
  auto r = client.post_json("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_GE(elapsed_ms(started), 950);  // waited as Retry-After asked
  EXPECT_EQ(upstream.requests().size(), 2u);

  upstream.push({.status = 503});
  upstream.push({.status = 503});
  r = client.post_json("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(upstream.requests().size(), 5u);

  upstream.push({.status = 400, .body = R"({"error":{"message":"bad","type":"invalid_request_error","param":null,"code":"x"}})"});
  r = client.post_json("/v1/chat/completions", kChat);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["message"], "bad");  // passed through as it came
  EXPECT_EQ(upstream.requests().size(), 6u);

  const auto metrics = client.get("/metrics").body;
  EXPECT_EQ(metric_value(metrics, R"(agw_upstream_retries_total{provider="openai",reason="status"})"),
            3.0);
}

TEST(OpenAiProvider, ExhaustedRetriesAndNonJsonAnswersAre502) {
  FakeUpstream upstream;
  GatewayProcess gw(openai_env(upstream.base_url(), {{"UPSTREAM_MAX_RETRIES", "2"}}));
  HttpClient client(gw);
  for (int i = 0; i < 3; ++i) upstream.push({.status = 502});
  expect_error(client.post_json("/v1/chat/completions", kChat), 502, "upstream_error");
  EXPECT_EQ(upstream.requests().size(), 3u);

  upstream.push({.status = 200, .body = "<html>not json</html>"});
  const auto r = client.post_json("/v1/chat/completions", kChat);
  expect_error(r, 502, "upstream_error");
  EXPECT_EQ(r.body.find("127.0.0.1"), std::string::npos);  // no internal address
  EXPECT_EQ(r.body.find("sk-upstream-secret"), std::string::npos);
}

TEST(OpenAiProvider, TimeoutIs504) {
  FakeUpstream upstream;
  GatewayProcess gw(openai_env(upstream.base_url(), {{"UPSTREAM_TIMEOUT_MS", "300"}}));
  HttpClient client(gw);
  upstream.push({.delay = std::chrono::milliseconds(2000)});
  const auto started = Clock::now();
  expect_error(client.post_json("/v1/chat/completions", kChat), 504, "upstream_timeout");
  EXPECT_LT(elapsed_ms(started), 1500);
}

TEST(OpenAiProvider, ResetBeforeTheAnswerIsRetriedResetMidBodyIs502) {
  FakeUpstream upstream;
  GatewayProcess gw(openai_env(upstream.base_url()));
  HttpClient client(gw);
  upstream.push({.reset_before_response = true});
  EXPECT_EQ(client.post_json("/v1/chat/completions", kChat).status, 200);
  EXPECT_EQ(upstream.requests().size(), 2u);

  upstream.push({.reset_mid_body = true});
  expect_error(client.post_json("/v1/chat/completions", kChat), 502, "upstream_error");
  EXPECT_EQ(upstream.requests().size(), 3u);  // never retried after part of an answer
}

TEST(OpenAiProvider, OneConnectionServesSequentialCallsAndStaleOnesAreReplaced) {
  FakeUpstream upstream;
  GatewayProcess gw(openai_env(upstream.base_url()));
  HttpClient client(gw);
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(client.post_json("/v1/chat/completions", kChat).status, 200) << i;
  }
  EXPECT_EQ(upstream.connections_accepted(), 1u);

  EXPECT_EQ(upstream.close_idle_connections(), 1u);  // the upstream's keep-alive timeout
  EXPECT_EQ(client.post_json("/v1/chat/completions", kChat).status, 200);
  EXPECT_EQ(upstream.connections_accepted(), 2u);
  EXPECT_EQ(upstream.requests().size(), 101u);
}

TEST(OpenAiProvider, FiveHundredConcurrentCallsThroughAPoolOf32) {
  FakeUpstream upstream(std::nullopt, 2);
  upstream.set_handler([](const RecordedRequest&) {
    Scripted s;
    s.delay = std::chrono::milliseconds(20);
    return s;
  });
  GatewayProcess gw(openai_env(upstream.base_url(), {{"UPSTREAM_MAX_CONNECTIONS", "32"},
                                                     {"MAX_CONNECTIONS", "2000"}}));
  const std::string key = gw.api_key();
  std::atomic<int> ok{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int i = 0; i < 500; ++i) {
    threads.emplace_back([&] {
      std::string failure;
      try {
        HttpClient client(gw.port());
        auto r = client.post_json("/v1/chat/completions", kChat, {{"X-API-Key", key}});
        if (r.status == 200) ++ok;
        else failure = std::to_string(r.status) + " " + r.body;
      } catch (const std::exception& e) {
        failure = e.what();
      }
      if (!failure.empty()) {
        std::lock_guard lock(failures_mutex);
        failures.push_back(failure);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 500) << (failures.empty() ? "" : failures.front());
  // The gateway never holds more than 32 (a permit per open connection). Seen from the upstream,
  // a connection closed and replaced at once (handed to a waiter on another IO thread) can
  // overlap its successor until the upstream reads the FIN, hence the slack of 2.
  EXPECT_LE(upstream.max_concurrent_connections(), 34u);
  EXPECT_LT(upstream.connections_accepted(), 250u);  // connections were reused, not one per call
  EXPECT_EQ(upstream.requests().size(), 500u);
}

TEST(OpenAiProvider, TlsWithTheGivenCaWorksAndAWrongHostIsRefused) {
  const auto tls = UpstreamTls::generate("localhost");
  FakeUpstream upstream(tls);
  GatewayProcess gw(openai_env(upstream.base_url(), {{"OPENAI_CA_FILE", tls.ca_file}}));
  HttpClient client(gw);
  auto r = client.post_json("/v1/chat/completions", kChat);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["usage"]["total_tokens"], 21);
  for (int i = 0; i < 5; ++i) ASSERT_EQ(client.post_json("/v1/chat/completions", kChat).status, 200);
  EXPECT_EQ(upstream.connections_accepted(), 1u);  // TLS connections are pooled too

  const auto wrong = UpstreamTls::generate_wrong_host();
  FakeUpstream impostor(wrong);
  GatewayProcess gw2(openai_env(impostor.base_url(), {{"OPENAI_CA_FILE", wrong.ca_file}}));
  HttpClient client2(gw2);
  expect_error(client2.post_json("/v1/chat/completions", kChat), 502, "upstream_error");
  EXPECT_TRUE(impostor.requests().empty());  // nothing was sent over the unverified connection

  // And without the CA, the self-signed upstream is not trusted either.
  GatewayProcess gw3(openai_env(upstream.base_url()));
  HttpClient client3(gw3);
  expect_error(client3.post_json("/v1/chat/completions", kChat), 502, "upstream_error");
}

TEST(OpenAiProvider, ModelsAreMergedCachedAndTheLastGoodListServed) {
  FakeUpstream upstream;
  GatewayProcess gw(openai_env(upstream.base_url(), {{"MODELS_CACHE_TTL_S", "1"}}));
  HttpClient client(gw);
  auto ids = [&] {
    std::vector<std::string> out;
    const auto r = client.get("/v1/models");
    EXPECT_EQ(r.status, 200) << r.body;
    const auto body = json::parse(r.body);
    for (const auto& m : body["data"]) out.push_back(m["id"].get<std::string>());
    EXPECT_FALSE(out.empty()) << r.body;
    return out;
  };
  const auto first = ids();
  EXPECT_NE(std::find(first.begin(), first.end(), "mock-1"), first.end());
  EXPECT_NE(std::find(first.begin(), first.end(), "gpt-4o-mini"), first.end());
  ids();
  ids();
  EXPECT_EQ(upstream.requests().size(), 1u);  // cached

  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  for (int i = 0; i < 3; ++i) upstream.push({.status = 500});
  const auto during_outage = ids();
  EXPECT_NE(std::find(during_outage.begin(), during_outage.end(), "gpt-4o-mini"),
            during_outage.end());
}
