#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;

TEST(Smoke, HealthzAndAKeyedCall) {
  GatewayProcess gw;
  HttpClient client(gw);
  auto health = client.get("/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body)["status"], "ok");
  auto models = client.get("/v1/models");
  EXPECT_EQ(models.status, 200) << models.body;
  EXPECT_EQ(gw.stop(), 0);
}
