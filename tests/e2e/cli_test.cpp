// The key commands of the CLI (SPEC §8) against a real database: create-key with every flag,
// list-keys, revoke-key, import-key, and one clear line with a non-zero exit for every failure.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/gateway_process.hpp"
#include "support/test_database.hpp"

using namespace agw::test;
using nlohmann::json;
using Env = std::map<std::string, std::string>;

namespace {

int line_count(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines + (!text.empty() && text.back() != '\n');
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A loopback port with nothing listening on it.
std::uint16_t closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { url_ = create_database("cli"); }

  static RunResult run(std::vector<std::string> args, Env env = {}) {
    if (!env.contains("DATABASE_URL")) env["DATABASE_URL"] = url_;
    return run_binary(args, env);
  }
  // Every failure is one line on the output and a non-zero exit.
  static void expect_one_line_failure(const RunResult& r, const std::string& mentions) {
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_EQ(line_count(r.output), 1) << r.output;
    EXPECT_NE(r.output.find(mentions), std::string::npos) << r.output;
  }
  static json listed() {
    const auto r = run({"list-keys", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return json::parse(r.output);
  }
  static json find(const json& list, const std::string& id) {
    for (const auto& k : list) {
      if (k["id"] == id) return k;
    }
    return nullptr;
  }

  static inline std::string url_;
};

}  // namespace

TEST_F(Cli, CreateKeyWithEveryFlagPrintsOneJsonLine) {
  const auto before = unix_now();
  const auto r = run({"create-key", "--name", "full", "--rpm", "60", "--tpm", "1000",
                      "--budget-usd", "12.5", "--budget-period", "daily", "--models",
                      "mock-1,mock-embedding-1", "--expires-in-days", "30", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  const json k = json::parse(r.output);
  const std::string id = k.at("id").get<std::string>();
  const std::string key = k.at("key").get<std::string>();
  EXPECT_EQ(k.at("name"), "full");
  EXPECT_TRUE(key.starts_with("agw_" + id + ".")) << key;
  EXPECT_GE(key.size() - key.find('.') - 1, 43u);
  EXPECT_EQ(k.at("rpm"), 60);
  EXPECT_EQ(k.at("tpm"), 1000);
  EXPECT_DOUBLE_EQ(k.at("budget_usd").get<double>(), 12.5);
  EXPECT_EQ(k.at("budget_period"), "daily");
  EXPECT_EQ(k.at("models"), json::array({"mock-1", "mock-embedding-1"}));
  const auto created = k.at("created_at").get<std::int64_t>();
  EXPECT_GE(created, before - 1);
  EXPECT_LE(created, unix_now() + 1);
  EXPECT_EQ(k.at("expires_at").get<std::int64_t>(), created + 30 * 86400);
  EXPECT_TRUE(k.at("revoked_at").is_null());
  EXPECT_TRUE(k.at("last_used_at").is_null());

  // list-keys shows the same limits, never the key.
  const json entry = find(listed(), id);
  ASSERT_TRUE(entry.is_object());
  EXPECT_FALSE(entry.contains("key"));
  EXPECT_EQ(entry.at("rpm"), 60);
  EXPECT_EQ(entry.at("tpm"), 1000);
  EXPECT_DOUBLE_EQ(entry.at("budget_usd").get<double>(), 12.5);
  EXPECT_EQ(entry.at("budget_period"), "daily");
  EXPECT_EQ(entry.at("models"), json::array({"mock-1", "mock-embedding-1"}));
  EXPECT_EQ(entry.at("expires_at"), k.at("expires_at"));
  const auto text = run({"list-keys"});
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_NE(text.output.find(id), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("full"), std::string::npos);
  EXPECT_NE(text.output.find("12.50 USD daily"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("mock-1,mock-embedding-1"), std::string::npos) << text.output;
  const std::string secret = key.substr(key.find('.') + 1);
  EXPECT_EQ(text.output.find(secret), std::string::npos);
  EXPECT_EQ(listed().dump().find(secret), std::string::npos);
}

TEST_F(Cli, CreateKeyDefaultsAndPlainOutput) {
  const auto r = run({"create-key", "--name", "plain"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto at = r.output.find("agw_");
  ASSERT_NE(at, std::string::npos) << r.output;
  const std::string key = r.output.substr(at, r.output.find_first_of(" \n", at) - at);
  EXPECT_EQ(r.output.find(key, at + 1), std::string::npos) << "the key is printed once";
  const std::string id = key.substr(4, key.find('.') - 4);
  const json entry = find(listed(), id);
  ASSERT_TRUE(entry.is_object()) << r.output;
  EXPECT_EQ(entry.at("name"), "plain");
  EXPECT_TRUE(entry.at("rpm").is_null());  // follows DEFAULT_RPM
  EXPECT_TRUE(entry.at("tpm").is_null());
  EXPECT_TRUE(entry.at("budget_usd").is_null());
  EXPECT_EQ(entry.at("budget_period"), "monthly");
  EXPECT_EQ(entry.at("models"), json::array());
  EXPECT_TRUE(entry.at("expires_at").is_null());
  EXPECT_EQ(entry.at("legacy"), false);
  // --rpm 0 is "unlimited", kept apart from "default".
  const auto unlimited = run({"create-key", "--name", "unlimited", "--rpm", "0", "--json"});
  ASSERT_EQ(unlimited.exit_code, 0) << unlimited.output;
  EXPECT_EQ(json::parse(unlimited.output).at("rpm"), 0);
}

TEST_F(Cli, RevokeKeyByIdAndUnknownId) {
  const json k = json::parse(run({"create-key", "--name", "to-revoke", "--json"}).output);
  const std::string id = k.at("id").get<std::string>();
  const auto revoked = run({"revoke-key", id});
  EXPECT_EQ(revoked.exit_code, 0) << revoked.output;
  EXPECT_NE(revoked.output.find(id), std::string::npos) << revoked.output;
  const json entry = find(listed(), id);
  ASSERT_TRUE(entry.is_object());
  ASSERT_TRUE(entry.at("revoked_at").is_number_integer());
  const auto first_time = entry.at("revoked_at").get<std::int64_t>();
  // Again: still fine, and the first revocation time stays.
  EXPECT_EQ(run({"revoke-key", id}).exit_code, 0);
  EXPECT_EQ(find(listed(), id).at("revoked_at"), first_time);
  const auto text = run({"list-keys"});
  EXPECT_EQ(text.output.find(k.at("key").get<std::string>()), std::string::npos);

  expect_one_line_failure(run({"revoke-key", "nosuchkey000"}), "nosuchkey000");
  expect_one_line_failure(run({"revoke-key"}), "id");
}

TEST_F(Cli, BadFlagsFailWithOneLine) {
  expect_one_line_failure(run({"create-key", "--name", "x", "--budget-period", "weekly"}),
                          "budget-period");
  expect_one_line_failure(run({"create-key", "--rpm", "5"}), "--name");
  expect_one_line_failure(run({"create-key", "--name", "x", "--colour", "blue"}), "colour");
  expect_one_line_failure(run({"create-key", "--name", "x", "--rpm", "-1"}), "rpm");
  expect_one_line_failure(run({"create-key", "--name", "x", "--rpm", "many"}), "rpm");
  expect_one_line_failure(run({"create-key", "--name", "x", "--budget-usd", "-3"}), "budget");
  expect_one_line_failure(run({"create-key", "--name", "x", "--expires-in-days", "0"}),
                          "expires-in-days");
  expect_one_line_failure(run({"create-key", "--name", "x", "--models", ""}),
                          "models");
  expect_one_line_failure(run({"create-key", "--name", ""}), "name");
  expect_one_line_failure(run({"no-such-command"}), "no-such-command");
  // None of the refused commands created a key named x.
  for (const auto& k : listed()) EXPECT_NE(k.at("name"), "x");
}

TEST_F(Cli, UnreachableDatabaseFailsWithOneClearLine) {
  const Env env = {{"DATABASE_URL",
                    "postgresql://agw@127.0.0.1:" + std::to_string(closed_port()) + "/nowhere"}};
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"create-key", "--name", "x"}, {"list-keys"}, {"revoke-key", "abc"}, {"migrate"}}) {
    SCOPED_TRACE(args[0]);
    const auto start = std::chrono::steady_clock::now();
    const auto r = run(args, env);
    expect_one_line_failure(r, "database");
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  }
  // Without AUTO_MIGRATE the commands reach the pool directly: the same one line.
  Env no_migrate = env;
  no_migrate["AUTO_MIGRATE"] = "false";
  expect_one_line_failure(run({"create-key", "--name", "x"}, no_migrate), "database");
  expect_one_line_failure(run({"list-keys"}, no_migrate), "database");
}

TEST_F(Cli, MissingDatabaseUrlNamesTheVariable) {
  const auto r = run_binary({"list-keys"}, {});
  expect_one_line_failure(r, "DATABASE_URL");
}

TEST_F(Cli, ImportKeyAcceptsOnlyLegacyKeys) {
  const std::string legacy = "sk-old-system-" + std::to_string(unix_now()) + "-abcdefXYZ";
  const auto r = run({"import-key", "--name", "old", "--key", legacy, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(line_count(r.output), 1) << r.output;
  EXPECT_EQ(r.output.find(legacy), std::string::npos) << "the key is never printed";
  const json imported = json::parse(r.output);
  EXPECT_EQ(imported.at("name"), "old");
  EXPECT_EQ(imported.at("legacy"), true);
  const std::string id = imported.at("id").get<std::string>();
  EXPECT_EQ(query_scalar(url_, "SELECT legacy::text FROM api_keys WHERE id = '" + id + "'"),
            "true");
  EXPECT_EQ(query_scalar(url_, "SELECT position('" + legacy +
                                   "' in row_to_json(k)::text)::text FROM api_keys k WHERE id = '" +
                                   id + "'"),
            "0");

  expect_one_line_failure(run({"import-key", "--name", "old", "--key", legacy}), "already");
  expect_one_line_failure(run({"import-key", "--name", "dot", "--key", "agw_abc.defghijklmnopqrs"}),
                          "legacy");
  expect_one_line_failure(run({"import-key", "--name", "short", "--key", "short"}), "short");
  expect_one_line_failure(
      run({"import-key", "--name", "space", "--key", "has a space in it 0123456789"}), "legacy");
  expect_one_line_failure(run({"import-key", "--key", "sk-no-name-0123456789abc"}), "--name");
  expect_one_line_failure(run({"import-key", "--name", "nokey"}), "--key");
}
