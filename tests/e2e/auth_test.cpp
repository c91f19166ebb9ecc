// Authentication on every /v1 route, against the real binary and a real PostgreSQL: both
// headers, malformed keys, revocation, expiry, legacy keys, allowed models, the failure
// throttle, batched last-used times, and keys never reaching the gateway's output.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e/e2e_helpers.hpp"
#include "support/gateway_process.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"

using namespace agw::test;
using Env = std::map<std::string, std::string>;
using Headers = std::vector<std::pair<std::string, std::string>>;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

struct V1Route {
  std::string method;
  std::string path;
  std::string body;
};

const std::vector<V1Route>& v1_routes() {
  static const std::vector<V1Route> routes = {
      {"POST", "/v1/responses", R"({"model":"mock-1","input":"hi"})"},
      {"POST", "/v1/chat/completions",
       R"({"model":"mock-1","messages":[{"role":"user","content":"hi"}]})"},
      {"POST", "/v1/embeddings", R"({"model":"mock-embedding-1","input":"hi"})"},
      {"POST", "/v1/images/generations", R"({"model":"mock-image-1","prompt":"a cat"})"},
      {"GET", "/v1/models", ""},
  };
  return routes;
}

HttpResult call(HttpClient& client, const V1Route& route, Headers headers = {}) {
  if (route.method == "GET") return client.get(route.path, headers);
  return client.post_json(route.path, route.body, std::move(headers));
}

std::string secret_of(const std::string& key) { return key.substr(key.find('.') + 1); }

int status_of(const std::string& raw) {
  if (!raw.starts_with("HTTP/1.1 ") || raw.size() < 12) return 0;
  return std::stoi(raw.substr(9, 3));
}

class Auth : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    url_ = create_database("auth_e2e");
    gateway_ = std::make_unique<GatewayProcess>(Env{{"DATABASE_URL", url_},
                                                    {"KEY_CACHE_TTL_S", "1"},
                                                    {"AUTH_FAIL_LIMIT", "0"},
                                                    {"LOG_LEVEL", "debug"}});
  }
  static void TearDownTestSuite() {
    if (gateway_) {
      const std::string output = gateway_->output();
      for (const auto& secret : secrets_) {
        EXPECT_EQ(output.find(secret), std::string::npos) << "a key secret reached the log";
      }
      EXPECT_EQ(gateway_->stop(), 0);
    }
    gateway_.reset();
  }
  void SetUp() override {
    ASSERT_NE(gateway_, nullptr) << "the gateway did not start";
    client_ = std::make_unique<HttpClient>(gateway_->port());
  }

  // Runs create-key --json with `args` and remembers the secret for the log checks.
  static json create_key(std::vector<std::string> args = {}) {
    std::vector<std::string> argv = {"create-key", "--name", "e2e", "--json"};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto result = run_binary(argv, {{"DATABASE_URL", url_}});
    if (result.exit_code != 0) throw std::runtime_error("create-key failed: " + result.output);
    json created = json::parse(result.output);
    secrets_.push_back(secret_of(created.at("key").get<std::string>()));
    return created;
  }
  static std::string new_key(std::vector<std::string> args = {}) {
    return create_key(std::move(args)).at("key").get<std::string>();
  }

  static inline std::string url_;
  static inline std::unique_ptr<GatewayProcess> gateway_;
  static inline std::vector<std::string> secrets_;
  std::unique_ptr<HttpClient> client_;
};

}  // namespace

TEST_F(Auth, EveryV1RouteNeedsAKey) {
  const std::string key = new_key();
  for (const auto& route : v1_routes()) {
    SCOPED_TRACE(route.path);
    const auto missing = call(*client_, route);
    expect_error(missing, 401, "invalid_api_key");
    EXPECT_EQ(json::parse(missing.body)["error"]["type"], "authentication_error");
    EXPECT_EQ(call(*client_, route, {{"X-API-Key", key}}).status, 200);
    EXPECT_EQ(call(*client_, route, {{"Authorization", "Bearer " + key}}).status, 200);
    EXPECT_EQ(call(*client_, route, {{"authorization", "bearer " + key}}).status, 200);
  }
}

TEST_F(Auth, XApiKeyWinsWhenBothAreSent) {
  const std::string key = new_key();
  for (const auto& route : v1_routes()) {
    SCOPED_TRACE(route.path);
    const auto valid_header =
        call(*client_, route, {{"Authorization", "Bearer sk-garbage-from-an-sdk"}, {"X-API-Key", key}});
    EXPECT_EQ(valid_header.status, 200) << valid_header.body;
    const auto garbage_header =
        call(*client_, route, {{"Authorization", "Bearer " + key}, {"X-API-Key", "agw_garbage0.xyz"}});
    expect_error(garbage_header, 401, "invalid_api_key");
  }
}

TEST_F(Auth, MalformedKeysAre401NeverAServerError) {
  const std::string key = new_key();
  const std::string id = key.substr(4, key.find('.') - 4);
  const std::vector<std::string> malformed = {
      "",
      "agw_",
      "agw_x.",
      "agw_.",
      "." + secret_of(key),
      std::string(10 * 1024, 'k'),
      "agw_" + id + "." + std::string(10 * 1024, 'k'),
      "agw_" + id + ".\xc3\xa9\xc3\xa9\xc3\xa9",
      "\xff\xfe\xfd\xfc-not-ascii-key-material",
      key + "\xc3\xa9",
      "agw_" + id + "." + secret_of(key).substr(1),  // the right id, a wrong secret
      key + "x",
      "agw_" + id + "\t." + secret_of(key),
      "agw_" + id + ". " + secret_of(key),
  };
  const V1Route chat = v1_routes()[1];
  const V1Route models = v1_routes()[4];
  for (const auto& bad : malformed) {
    SCOPED_TRACE(bad.substr(0, 40));
    expect_error(call(*client_, chat, {{"X-API-Key", bad}}), 401, "invalid_api_key");
    expect_error(call(*client_, models, {{"Authorization", "Bearer " + bad}}), 401,
                 "invalid_api_key");
  }
  for (const std::string& authorization :
       {std::string("Bearer"), std::string("Basic dXNlcjpwYXNz"), key, "Token " + key}) {
    SCOPED_TRACE(authorization);
    expect_error(call(*client_, models, {{"Authorization", authorization}}), 401,
                 "invalid_api_key");
  }
  // The key still works after all that.
  EXPECT_EQ(call(*client_, models, {{"X-API-Key", key}}).status, 200);
}

TEST_F(Auth, ControlCharactersInTheKeyHeaderAreRefusedNeverAServerError) {
  const std::string key = new_key();
  const std::string head = "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n";
  // Bytes HTTP does not allow in a field value: the request itself may be refused (4xx).
  for (const std::string& value :
       {key.substr(0, 10) + "\r" + key.substr(10), key.substr(0, 10) + "\n" + key.substr(10),
        key.substr(0, 10) + std::string(1, '\0') + key.substr(10),
        key.substr(0, 10) + "\r\n " + key.substr(10), std::string("\r\n")}) {
    SCOPED_TRACE(json(value).dump());
    RawConnection raw(gateway_->port());
    ASSERT_TRUE(raw.send(head + "X-API-Key: " + value + "\r\nConnection: close\r\n\r\n"));
    const std::string response = raw.read_response(5s);
    const int status = status_of(response);
    EXPECT_GE(status, 400) << response;
    EXPECT_LT(status, 500) << response;
  }
  // A well-formed header whose value holds a tab: a malformed key, so 401.
  RawConnection raw(gateway_->port());
  ASSERT_TRUE(raw.send(head + "X-API-Key: " + key.substr(0, 10) + "\t" + key.substr(10) +
                       "\r\nConnection: close\r\n\r\n"));
  expect_raw_error(raw.read_response(5s), 401, "invalid_api_key");
  // The gateway is still serving.
  EXPECT_EQ(client_->get("/v1/models", {{"X-API-Key", key}}).status, 200);
}

TEST_F(Auth, UnknownRoutesAre404WithOrWithoutAKey) {
  const std::string key = new_key();
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/v1/nope"}, {"POST", "/v1/unknown"}, {"GET", "/v2/models"}, {"GET", "/v1"}}) {
    SCOPED_TRACE(path);
    expect_error(client_->request(method, path), 404, "not_found");
    expect_error(client_->request(method, path, {}, {{"X-API-Key", key}}), 404, "not_found");
    expect_error(client_->request(method, path, {}, {{"X-API-Key", "agw_bad"}}), 404, "not_found");
  }
  // A known route with the wrong method is 405 before authentication.
  const auto wrong_method = client_->request("POST", "/v1/models");
  expect_error(wrong_method, 405, "method_not_allowed");
  EXPECT_FALSE(wrong_method.header("allow").empty());
}

TEST_F(Auth, RevocationTakesEffectWithinTheCacheTtl) {
  const json created = create_key();
  const std::string key = created.at("key").get<std::string>();
  ASSERT_EQ(client_->get("/v1/models", {{"X-API-Key", key}}).status, 200);  // now cached
  const auto revoked = run_binary({"revoke-key", created.at("id").get<std::string>()},
                                  {{"DATABASE_URL", url_}});
  ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
  std::this_thread::sleep_for(1500ms);  // KEY_CACHE_TTL_S=1, and a margin
  const auto after = client_->get("/v1/models", {{"X-API-Key", key}});
  expect_error(after, 401, "invalid_api_key");
  EXPECT_NE(after.body.find("revoked"), std::string::npos) << after.body;
  expect_error(client_->post_json("/v1/chat/completions", v1_routes()[1].body,
                                  {{"Authorization", "Bearer " + key}}),
               401, "invalid_api_key");
}

TEST_F(Auth, ExpiredKeyIs401) {
  const json created = create_key({"--expires-in-days", "1"});
  const std::string key = created.at("key").get<std::string>();
  const json other = create_key({"--expires-in-days", "1"});
  EXPECT_EQ(client_->get("/v1/models", {{"X-API-Key", other.at("key").get<std::string>()}}).status,
            200);
  query_scalar(url_, "UPDATE api_keys SET expires_at = now() - interval '1 hour' WHERE id = '" +
                         created.at("id").get<std::string>() + "'");
  const auto r = client_->get("/v1/models", {{"X-API-Key", key}});
  expect_error(r, 401, "invalid_api_key");
  EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

TEST_F(Auth, ImportedLegacyKeyWorks) {
  const std::string legacy = "legacy-" + std::to_string(std::chrono::steady_clock::now()
                                                             .time_since_epoch()
                                                             .count()) +
                             "-Zq8fK2mN7pL4";
  secrets_.push_back(legacy);
  const auto imported =
      run_binary({"import-key", "--name", "old-app", "--key", legacy}, {{"DATABASE_URL", url_}});
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  EXPECT_EQ(imported.output.find(legacy), std::string::npos) << imported.output;
  EXPECT_EQ(client_->get("/v1/models", {{"X-API-Key", legacy}}).status, 200);
  const auto chat = client_->post_json("/v1/chat/completions", v1_routes()[1].body,
                                       {{"Authorization", "Bearer " + legacy}});
  EXPECT_EQ(chat.status, 200) << chat.body;
  expect_error(client_->get("/v1/models", {{"X-API-Key", legacy + "x"}}), 401, "invalid_api_key");
  expect_error(client_->get("/v1/models", {{"X-API-Key", legacy.substr(1)}}), 401,
               "invalid_api_key");
}

TEST_F(Auth, AllowedModelsRestrictTheKey) {
  const std::string key = new_key({"--models", "mock-1"});
  const Headers auth = {{"X-API-Key", key}};
  EXPECT_EQ(call(*client_, v1_routes()[1], auth).status, 200);  // chat with mock-1
  EXPECT_EQ(call(*client_, v1_routes()[0], auth).status, 200);  // responses with mock-1
  const auto embeddings = call(*client_, v1_routes()[2], auth);
  expect_error(embeddings, 403, "model_not_allowed");
  EXPECT_EQ(json::parse(embeddings.body)["error"]["type"], "permission_error");
  expect_error(call(*client_, v1_routes()[3], auth), 403, "model_not_allowed");

  const auto models = client_->get("/v1/models", auth);
  ASSERT_EQ(models.status, 200) << models.body;
  const json listed = json::parse(models.body);
  std::set<std::string> ids;
  for (const auto& m : listed["data"]) ids.insert(m["id"].get<std::string>());
  EXPECT_EQ(ids, std::set<std::string>{"mock-1"}) << models.body;

  // A key without --models sees every mock model.
  const auto all = client_->get("/v1/models", {{"X-API-Key", new_key()}});
  ASSERT_EQ(all.status, 200);
  const json listed_all = json::parse(all.body);
  std::set<std::string> every;
  for (const auto& m : listed_all["data"]) every.insert(m["id"].get<std::string>());
  for (const char* model : {"mock-1", "mock-embedding-1", "mock-image-1"}) {
    EXPECT_TRUE(every.contains(model)) << all.body;
  }
}

TEST_F(Auth, LastUsedAtIsRecordedInBatches) {
  const json created = create_key();
  const std::string id = created.at("id").get<std::string>();
  const std::string key = created.at("key").get<std::string>();
  const auto last_used = [&]() -> json {
    const auto listed = run_binary({"list-keys", "--json"}, {{"DATABASE_URL", url_}});
    if (listed.exit_code != 0) return nullptr;
    for (const auto& k : json::parse(listed.output)) {
      if (k["id"] == id) return k["last_used_at"];
    }
    return nullptr;
  };
  EXPECT_TRUE(last_used().is_null());
  const auto before = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client_->get("/v1/models", {{"X-API-Key", key}}).status, 200);
  }
  json seen;
  const auto deadline = std::chrono::steady_clock::now() + 7s;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = last_used();
    if (!seen.is_null()) break;
    std::this_thread::sleep_for(250ms);
  }
  ASSERT_TRUE(seen.is_number_integer()) << "last_used_at not recorded within 7 s";
  const auto after = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  EXPECT_GE(seen.get<std::int64_t>(), before - 1);
  EXPECT_LE(seen.get<std::int64_t>(), after + 1);
}

TEST_F(Auth, SecretsNeverReachTheOutput) {
  const json created = create_key();
  const std::string key = created.at("key").get<std::string>();
  const std::string id = created.at("id").get<std::string>();
  const std::string secret = secret_of(key);
  const std::string planted = "PlantedSecret0123456789abcdefghijklmnopqrstu";
  const std::string planted_legacy = "PlantedLegacyKeyValue0123456789";
  secrets_.push_back(planted);
  secrets_.push_back(planted_legacy);

  EXPECT_EQ(client_->get("/v1/models", {{"X-API-Key", key}}).status, 200);
  EXPECT_EQ(client_->post_json("/v1/chat/completions", v1_routes()[1].body,
                               {{"Authorization", "Bearer " + key}})
                .status,
            200);
  const auto wrong = client_->get("/v1/models", {{"X-API-Key", "agw_" + id + "." + planted}});
  expect_error(wrong, 401, "invalid_api_key");
  EXPECT_EQ(wrong.body.find(planted), std::string::npos) << wrong.body;
  EXPECT_NE(wrong.body.find("agw_" + id + ".***"), std::string::npos) << wrong.body;
  const auto legacy = client_->get("/v1/models", {{"Authorization", "Bearer " + planted_legacy}});
  expect_error(legacy, 401, "invalid_api_key");
  EXPECT_EQ(legacy.body.find(planted_legacy), std::string::npos) << legacy.body;
  // A revoked key.
  ASSERT_EQ(run_binary({"revoke-key", id}, {{"DATABASE_URL", url_}}).exit_code, 0);
  std::this_thread::sleep_for(1100ms);
  expect_error(client_->get("/v1/models", {{"X-API-Key", key}}), 401, "invalid_api_key");

  const std::string output = gateway_->output();
  EXPECT_EQ(output.find(secret), std::string::npos);
  EXPECT_EQ(output.find(secret.substr(0, 12)), std::string::npos);
  EXPECT_EQ(output.find(planted), std::string::npos);
  EXPECT_EQ(output.find(planted_legacy), std::string::npos);
  for (const auto& args : {std::vector<std::string>{"list-keys"},
                           std::vector<std::string>{"list-keys", "--json"}}) {
    const auto listed = run_binary(args, {{"DATABASE_URL", url_}});
    ASSERT_EQ(listed.exit_code, 0) << listed.output;
    EXPECT_NE(listed.output.find(id), std::string::npos);
    for (const auto& s : secrets_) EXPECT_EQ(listed.output.find(s), std::string::npos);
  }
}

TEST_F(Auth, RepeatedFailuresAreThrottled) {
  // A gateway of its own: AUTH_FAIL_LIMIT=5 (the suite's gateway has the throttle off).
  GatewayProcess gw(Env{{"DATABASE_URL", url_}, {"AUTH_FAIL_LIMIT", "5"}});
  const std::string key = new_key();
  // The window is the (monotonic) clock minute: start well inside one so the requests share it.
  const auto into_minute = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::steady_clock::now().time_since_epoch())
                               .count() %
                           60;
  if (into_minute >= 55) std::this_thread::sleep_for(std::chrono::seconds(61 - into_minute));
  HttpClient client(gw.port());
  for (int i = 0; i < 5; ++i) {
    expect_error(client.get("/v1/models", {{"X-API-Key", "agw_wrong0000000.nope"}}), 401,
                 "invalid_api_key");
  }
  const auto throttled = client.get("/v1/models", {{"X-API-Key", "agw_wrong0000000.nope"}});
  expect_error(throttled, 429, "rate_limit_exceeded");
  const std::string retry_after = throttled.header("retry-after");
  ASSERT_FALSE(retry_after.empty());
  EXPECT_GE(std::stoi(retry_after), 1);
  EXPECT_LE(std::stoi(retry_after), 60);
  // For the rest of the minute, even a valid key from this address waits.
  expect_error(client.get("/v1/models", {{"X-API-Key", key}}), 429, "rate_limit_exceeded");
  // Unkeyed routes are unaffected.
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(gw.stop(), 0);
}
