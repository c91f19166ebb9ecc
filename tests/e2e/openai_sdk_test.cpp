// The official openai npm package against the real gateway: mock models, errors, and a model
// served through the OpenAI-compatible provider (the fake upstream behind it).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "support/fake_upstream.hpp"
#include "support/gateway_process.hpp"

using namespace agw::test;

TEST(OpenAiSdk, OfficialNodeClientWorksAgainstTheGateway) {
  const std::string node_dir = std::string(AGW_SOURCE_DIR) + "/tests/node";
  ASSERT_TRUE(std::filesystem::exists(node_dir + "/node_modules/openai/package.json"))
      << "run `npm ci` in tests/node (scripts/test.sh does)";
  FakeUpstream upstream;
  GatewayProcess gw({{"DEFAULT_PROVIDER", "openai"}, {"OPENAI_BASE_URL", upstream.base_url()}});
  const std::string command = "cd " + node_dir + " && GATEWAY_URL=http://127.0.0.1:" +
                              std::to_string(gw.port()) + " GATEWAY_KEY=" + gw.api_key() +
                              " UPSTREAM_MODEL=gpt-4o-mini node openai_sdk_check.mjs 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe);
  std::string output;
  std::array<char, 4096> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get())) output += buf.data();
  const int status = pclose(pipe.release());
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output.find("FAIL"), std::string::npos) << output;
  EXPECT_NE(output.find("ok chat through the upstream"), std::string::npos) << output;
}
