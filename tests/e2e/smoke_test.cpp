#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;

TEST(Smoke, HealthzAnswers) {
  GatewayProcess gw;
  HttpClient client(gw.port());
  auto r = client.get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body)["status"], "ok");
  EXPECT_EQ(gw.stop(), 0);
}
