// Start-up: bad configuration stops the process with a message naming the variable.
#include <gtest/gtest.h>

#include <regex>

#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;
using Env = std::map<std::string, std::string>;

TEST(Startup, BadPortStopsStartupNamingTheVariable) {
  const auto r = run_binary({"serve"}, {{"PORT", "abc"}});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("PORT"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("listening on"), std::string::npos) << r.output;
}

TEST(Startup, EveryKindOfBadValueNamesItsVariable) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"IO_THREADS", "0"},    {"MAX_BODY_BYTES", "lots"}, {"LOG_LEVEL", "loud"},
      {"LOG_FORMAT", "yaml"}, {"ACCESS_LOG", "perhaps"},  {"READ_TIMEOUT_S", "-1"}};
  for (const auto& [name, value] : bad) {
    const auto r = run_binary({"serve"}, {{name, value}});
    EXPECT_NE(r.exit_code, 0) << name << ": " << r.output;
    EXPECT_NE(r.output.find(name), std::string::npos) << name << ": " << r.output;
  }
}

TEST(Startup, PortZeroLogsTheChosenPort) {
  GatewayProcess gw;
  EXPECT_NE(gw.port(), 0);
  const std::regex listening("listening on 127\\.0\\.0\\.1:" + std::to_string(gw.port()));
  EXPECT_TRUE(std::regex_search(gw.output(), listening)) << gw.output();
  EXPECT_EQ(gw.stop(), 0);
}

TEST(Startup, PortInUseFailsWithAMessage) {
  GatewayProcess first;
  const auto r = run_binary(
      {"serve"}, {{"PORT", std::to_string(first.port())}, {"DATABASE_URL", first.database_url()}});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("in use"), std::string::npos) << r.output;
  EXPECT_EQ(first.stop(), 0);
}

TEST(Startup, JsonLogsAreOneObjectPerLine) {
  GatewayProcess gw(Env{{"LOG_FORMAT", "json"}});
  HttpClient client(gw.port());
  ASSERT_EQ(client.get("/healthz", {{"X-Request-Id", "json-log-check"}}).status, 200);
  EXPECT_EQ(gw.stop(), 0);
  const std::string out = gw.output();
  EXPECT_NE(out.find(R"("request_id":"json-log-check")"), std::string::npos) << out;
  std::size_t start = 0;
  for (std::size_t end; (end = out.find('\n', start)) != std::string::npos; start = end + 1) {
    const std::string line = out.substr(start, end - start);
    EXPECT_TRUE(line.starts_with("{") && line.ends_with("}")) << line;
  }
}
