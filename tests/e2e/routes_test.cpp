// Every route of the foundation, against the real binary: shapes, headers, request ids.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "e2e/e2e_helpers.hpp"
#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;
using Env = std::map<std::string, std::string>;
using nlohmann::json;

namespace {

class Routes : public SharedGatewayTest<Routes> {
 protected:

  HttpResult post(const std::string& path, const json& body,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
    return client_->post_json(path, body.dump(), std::move(headers));
  }

  static void expect_overhead_header(const HttpResult& r) {
    const std::string overhead = r.header("x-agw-overhead-ms");
    ASSERT_FALSE(overhead.empty()) << "no x-agw-overhead-ms";
    std::size_t used = 0;
    const double ms = std::stod(overhead, &used);
    EXPECT_EQ(used, overhead.size()) << overhead;
    EXPECT_GE(ms, 0.0);
    EXPECT_LT(ms, 5000.0);
  }
};

}  // namespace

TEST_F(Routes, ResponsesDefaultsStoreToFalse) {
  const auto r = post("/v1/responses", {{"model", "mock-1"}, {"input", "Hello"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  const json a = json::parse(r.body);
  EXPECT_EQ(a["object"], "response");
  EXPECT_TRUE(a["id"].get<std::string>().starts_with("resp_"));
  EXPECT_EQ(a["model"], "mock-1");
  EXPECT_EQ(a["store"], false);
  EXPECT_EQ(a["output"][0]["content"][0]["type"], "output_text");
  EXPECT_FALSE(r.header("x-request-id").empty());
  expect_overhead_header(r);
}

TEST_F(Routes, ResponsesKeepsStoreTrueWhenSent) {
  const auto r = post("/v1/responses", {{"model", "mock-1"}, {"input", "Hello"}, {"store", true}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["store"], true);
}

TEST_F(Routes, ChatCompletions) {
  const auto r = post(
      "/v1/chat/completions",
      {{"model", "mock-1"}, {"messages", json::array({{{"role", "user"}, {"content", "Hi"}}})}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json a = json::parse(r.body);
  EXPECT_EQ(a["object"], "chat.completion");
  EXPECT_TRUE(a["id"].get<std::string>().starts_with("chatcmpl-"));
  EXPECT_EQ(a["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(a["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(a["usage"]["total_tokens"].get<int>(),
            a["usage"]["prompt_tokens"].get<int>() + a["usage"]["completion_tokens"].get<int>());
  const auto created = a["created"].get<std::int64_t>();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  EXPECT_NEAR(static_cast<double>(created), static_cast<double>(now), 60.0);
  expect_overhead_header(r);
}

TEST_F(Routes, EmbeddingsAsFloats) {
  const auto r =
      post("/v1/embeddings",
           {{"model", "mock-embedding-1"}, {"input", json::array({"a", "b"})}, {"dimensions", 8}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json a = json::parse(r.body);
  EXPECT_EQ(a["object"], "list");
  ASSERT_EQ(a["data"].size(), 2u);
  EXPECT_EQ(a["data"][0]["object"], "embedding");
  EXPECT_EQ(a["data"][0]["embedding"].size(), 8u);
  EXPECT_TRUE(a["data"][0]["embedding"][0].is_number_float());
  expect_overhead_header(r);
}

TEST_F(Routes, EmbeddingsAsBase64) {
  const auto r = post("/v1/embeddings", {{"model", "mock-embedding-1"},
                                         {"input", "a"},
                                         {"dimensions", 8},
                                         {"encoding_format", "base64"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json a = json::parse(r.body);
  ASSERT_TRUE(a["data"][0]["embedding"].is_string());
  // 8 float32 values = 32 bytes = 44 base64 characters with padding.
  EXPECT_EQ(a["data"][0]["embedding"].get<std::string>().size(), 44u);
  expect_overhead_header(r);
}

TEST_F(Routes, ImagesGenerations) {
  const auto r = post("/v1/images/generations", {{"model", "mock-image-1"},
                                                 {"prompt", "a red bicycle"},
                                                 {"n", 2},
                                                 {"response_format", "b64_json"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const json a = json::parse(r.body);
  ASSERT_EQ(a["data"].size(), 2u);
  EXPECT_TRUE(a["data"][0]["b64_json"].is_string());
  EXPECT_TRUE(a["created"].is_number_integer());
  expect_overhead_header(r);
}

TEST_F(Routes, ModelsListsTheMockModels) {
  const auto r = client_->get("/v1/models");
  ASSERT_EQ(r.status, 200) << r.body;
  const json a = json::parse(r.body);
  EXPECT_EQ(a["object"], "list");
  std::set<std::string> ids;
  for (const auto& m : a["data"]) {
    EXPECT_EQ(m["object"], "model");
    EXPECT_TRUE(m["created"].is_number_integer());
    EXPECT_TRUE(m["owned_by"].is_string());
    ids.insert(m["id"].get<std::string>());
  }
  EXPECT_EQ(ids, (std::set<std::string>{"mock-1", "mock-embedding-1", "mock-image-1"}));
  EXPECT_FALSE(r.header("x-request-id").empty());
}

TEST_F(Routes, Healthz) {
  const auto r = client_->get("/healthz");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body), (json{{"status", "ok"}}));
  EXPECT_FALSE(r.header("x-request-id").empty());
  EXPECT_TRUE(r.header("x-agw-overhead-ms").empty()) << "only proxied responses carry it";
}

TEST_F(Routes, MetricsCountRequests) {
  ASSERT_EQ(client_->get("/healthz").status, 200);
  const auto r = client_->get("/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(r.header("content-type").starts_with("text/plain; version=0.0.4"))
      << r.header("content-type");
  EXPECT_NE(r.body.find("# TYPE agw_http_requests_total counter"), std::string::npos) << r.body;
  const auto served = metric_value(
      r.body, R"(agw_http_requests_total{method="GET",route="/healthz",status_class="2xx"})");
  ASSERT_TRUE(served) << r.body;
  EXPECT_GE(*served, 1.0);
  EXPECT_FALSE(r.header("x-request-id").empty());

  // The counter moves with each request.
  ASSERT_EQ(client_->get("/healthz").status, 200);
  const auto again =
      metric_value(client_->get("/metrics").body,
                   R"(agw_http_requests_total{method="GET",route="/healthz",status_class="2xx"})");
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *served + 1);
}

TEST_F(Routes, MetricsCountErrorsUnderTheirRoute) {
  ASSERT_EQ(client_->get("/no/such/route").status, 404);
  const auto text = client_->get("/metrics").body;
  const auto unmatched = metric_value(
      text, R"(agw_http_requests_total{method="GET",route="unmatched",status_class="4xx"})");
  ASSERT_TRUE(unmatched) << text;
  EXPECT_GE(*unmatched, 1.0);
}

TEST_F(Routes, ValidRequestIdIsEchoed) {
  for (const std::string& id :
       {std::string("abc-123"), std::string("trace.id:span_1"), std::string(128, 'z')}) {
    const auto r = client_->get("/healthz", {{"X-Request-Id", id}});
    EXPECT_EQ(r.header("x-request-id"), id);
  }
  const auto r = post("/v1/responses", {{"model", "mock-1"}, {"input", "x"}},
                      {{"X-Request-Id", "client-chosen-1"}});
  EXPECT_EQ(r.header("x-request-id"), "client-chosen-1");
  const auto error = post("/v1/responses", {{"input", "x"}}, {{"X-Request-Id", "client-err-1"}});
  EXPECT_EQ(error.status, 400);
  EXPECT_EQ(error.header("x-request-id"), "client-err-1");
}

TEST_F(Routes, InvalidRequestIdIsReplaced) {
  for (const std::string& id :
       {std::string(129, 'z'), std::string("has space"), std::string("semi;colon"),
        std::string("slash/id"), std::string("caf\xc3\xa9")}) {
    const auto r = client_->get("/healthz", {{"X-Request-Id", id}});
    ASSERT_EQ(r.status, 200);
    const std::string got = r.header("x-request-id");
    EXPECT_NE(got, id);
    EXPECT_TRUE(got.starts_with("req_") && got.size() == 36) << got;
  }
}

TEST_F(Routes, GeneratedRequestIdsDiffer) {
  const auto a = client_->get("/healthz").header("x-request-id");
  const auto b = client_->get("/healthz").header("x-request-id");
  EXPECT_TRUE(a.starts_with("req_"));
  EXPECT_NE(a, b);
}

TEST_F(Routes, QueryStringsDoNotChangeTheRoute) {
  EXPECT_EQ(client_->get("/healthz?verbose=1").status, 200);
  EXPECT_EQ(client_->get("/v1/models?limit=5").status, 200);
}

TEST_F(Routes, JsonContentTypeWithCharsetIsAccepted) {
  const auto r =
      client_->request("POST", "/v1/responses", json{{"model", "mock-1"}, {"input", "x"}}.dump(),
                       {{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_EQ(r.status, 200) << r.body;
}
