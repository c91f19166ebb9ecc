// PostgreSQL stopped under a running gateway: /readyz turns 503, an uncached key gets 503 within
// DB_TIMEOUT_MS (no hang), a cached key keeps working; PostgreSQL back → the gateway recovers by
// itself.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "e2e/e2e_helpers.hpp"
#include "support/gateway_process.hpp"
#include "support/http_client.hpp"
#include "support/test_database.hpp"

using namespace agw::test;
using Env = std::map<std::string, std::string>;
using nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string create_key(const std::string& url) {
  const auto result = run_binary({"create-key", "--name", "outage", "--json"},
                                 {{"DATABASE_URL", url}});
  if (result.exit_code != 0) throw std::runtime_error("create-key failed: " + result.output);
  return json::parse(result.output).at("key").get<std::string>();
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

TEST(PostgresOutage, GatewayDegradesAndRecoversByItself) {
  OwnPostgres postgres;
  const std::string cached_key = create_key(postgres.url());
  const std::string uncached_key = create_key(postgres.url());
  GatewayProcess gw(Env{{"DATABASE_URL", postgres.url()},
                        {"DB_TIMEOUT_MS", "500"},
                        {"KEY_CACHE_TTL_S", "60"}});
  HttpClient client(gw.port());
  const std::vector<std::pair<std::string, std::string>> cached = {{"X-API-Key", cached_key}};
  const std::vector<std::pair<std::string, std::string>> uncached = {{"X-API-Key", uncached_key}};

  ASSERT_TRUE(eventually([&] { return client.get("/readyz").status == 200; }, 3s))
      << client.get("/readyz").body;
  ASSERT_EQ(client.get("/v1/models", cached).status, 200);

  postgres.stop();

  // Readiness comes from a cached probe (every second): 503 soon, naming PostgreSQL.
  auto stopped = SteadyClock::now();
  HttpResult ready;
  ASSERT_TRUE(eventually(
      [&] {
        ready = client.get("/readyz");
        return ready.status == 503;
      },
      3s))
      << ready.status << " " << ready.body;
  // OpenAI's envelope, plus the state of each check beside it.
  const json body = json::parse(ready.body);
  ASSERT_TRUE(body.contains("error")) << ready.body;
  const json& error = body["error"];
  EXPECT_EQ(error.size(), 4u) << ready.body;
  EXPECT_EQ(error["code"], "not_ready");
  EXPECT_EQ(error["type"], "server_error");
  EXPECT_TRUE(error["param"].is_null());
  EXPECT_NE(error["message"].get<std::string>().find("postgres"), std::string::npos)
      << ready.body;
  EXPECT_EQ(body["checks"]["postgres"], "unreachable") << ready.body;
  EXPECT_EQ(ready.header("content-type"), "application/json");
  EXPECT_LT(seconds_since(stopped), 3.0);

  // A key that is not cached needs the database: 503 in the envelope, within the timeout.
  for (int i = 0; i < 3; ++i) {
    const auto start = SteadyClock::now();
    const auto r = client.get("/v1/models", uncached);
    const double elapsed = seconds_since(start);
    expect_error(r, 503, "not_ready");
    EXPECT_LT(elapsed, 1.5) << "attempt " << i;
  }
  const auto chat_start = SteadyClock::now();
  expect_error(client.post_json("/v1/chat/completions",
                                R"({"model":"mock-1","messages":[{"role":"user","content":"x"}]})",
                                uncached),
               503, "not_ready");
  EXPECT_LT(seconds_since(chat_start), 1.5);

  // A cached key keeps working through the outage.
  EXPECT_EQ(client.get("/v1/models", cached).status, 200);
  EXPECT_EQ(client.get("/healthz").status, 200);

  postgres.start();
  const auto restarted = SteadyClock::now();
  ASSERT_TRUE(eventually([&] { return client.get("/readyz").status == 200; }, 5s))
      << client.get("/readyz").body;
  EXPECT_LT(seconds_since(restarted), 5.0);
  // No gateway restart: the uncached key works at once now.
  const auto after = client.get("/v1/models", uncached);
  EXPECT_EQ(after.status, 200) << after.body;
  EXPECT_EQ(client.get("/v1/models", cached).status, 200);
  EXPECT_TRUE(gw.running());
  EXPECT_EQ(gw.output().find(uncached_key.substr(uncached_key.find('.') + 1)), std::string::npos);
  EXPECT_EQ(gw.stop(), 0);
}
