#include "agw/config/config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

using agw::config::Config;
using agw::config::ConfigError;
using agw::config::LogFormat;
using agw::config::ProviderKind;
using agw::config::Variables;
using namespace std::chrono_literals;

namespace {

// The message of the ConfigError that loading `vars` throws, or "" when it loads.
std::string load_error(const Variables& vars) {
  try {
    Config::load(vars);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

TEST(Config, DefaultsWhenNothingIsSet) {
  const Config c = Config::load({});
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 8010);
  EXPECT_EQ(c.server.io_threads, std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(c.server.max_body_bytes, 8u * 1024 * 1024);
  EXPECT_EQ(c.server.max_header_bytes, 16u * 1024);
  EXPECT_EQ(c.server.max_connections, 10000u);
  EXPECT_EQ(c.server.idle_timeout, 60s);
  EXPECT_EQ(c.server.read_timeout, 30s);
  EXPECT_EQ(c.server.write_timeout, 30s);
  EXPECT_EQ(c.server.shutdown_timeout, 30s);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_EQ(c.log.format, LogFormat::text);
  EXPECT_TRUE(c.log.access_log);
  EXPECT_EQ(c.providers.default_provider, ProviderKind::mock);
  EXPECT_EQ(c.providers.mock_latency, 0ms);
  EXPECT_EQ(c.metrics.token, "");
}

TEST(Config, EmptyValuesMeanTheDefault) {
  const Config c = Config::load({{"PORT", ""},
                                 {"IO_THREADS", ""},
                                 {"ACCESS_LOG", ""},
                                 {"LOG_FORMAT", ""},
                                 {"IDLE_TIMEOUT_S", ""}});
  EXPECT_EQ(c.server.port, 8010);
  EXPECT_GE(c.server.io_threads, 1u);
  EXPECT_TRUE(c.log.access_log);
  EXPECT_EQ(c.log.format, LogFormat::text);
  EXPECT_EQ(c.server.idle_timeout, 60s);
}

TEST(Config, ReadsEveryVariable) {
  const Config c = Config::load({{"HOST", "127.0.0.1"},
                                 {"PORT", "9000"},
                                 {"IO_THREADS", "3"},
                                 {"MAX_BODY_BYTES", "1024"},
                                 {"MAX_HEADER_BYTES", "4096"},
                                 {"MAX_CONNECTIONS", "50"},
                                 {"IDLE_TIMEOUT_S", "5"},
                                 {"READ_TIMEOUT_S", "6"},
                                 {"WRITE_TIMEOUT_S", "7"},
                                 {"SHUTDOWN_TIMEOUT_S", "8"},
                                 {"LOG_LEVEL", "debug"},
                                 {"LOG_FORMAT", "json"},
                                 {"ACCESS_LOG", "false"},
                                 {"DEFAULT_PROVIDER", "openai"},
                                 {"MOCK_LATENCY_MS", "250"},
                                 {"METRICS_TOKEN", "s3cret"}});
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 9000);
  EXPECT_EQ(c.server.io_threads, 3u);
  EXPECT_EQ(c.server.max_body_bytes, 1024u);
  EXPECT_EQ(c.server.max_header_bytes, 4096u);
  EXPECT_EQ(c.server.max_connections, 50u);
  EXPECT_EQ(c.server.idle_timeout, 5s);
  EXPECT_EQ(c.server.read_timeout, 6s);
  EXPECT_EQ(c.server.write_timeout, 7s);
  EXPECT_EQ(c.server.shutdown_timeout, 8s);
  EXPECT_EQ(c.log.level, "debug");
  EXPECT_EQ(c.log.format, LogFormat::json);
  EXPECT_FALSE(c.log.access_log);
  EXPECT_EQ(c.providers.default_provider, ProviderKind::openai);
  EXPECT_EQ(c.providers.mock_latency, 250ms);
  EXPECT_EQ(c.metrics.token, "s3cret");
}

TEST(Config, PortZeroPicksAFreePort) {
  EXPECT_EQ(Config::load({{"PORT", "0"}}).server.port, 0);
  EXPECT_EQ(Config::load({{"PORT", "65535"}}).server.port, 65535);
}

TEST(Config, BooleansAcceptCommonSpellings) {
  for (const char* yes : {"true", "TRUE", "1", "yes", "on"}) {
    EXPECT_TRUE(Config::load({{"ACCESS_LOG", yes}}).log.access_log) << yes;
  }
  for (const char* no : {"false", "False", "0", "no", "off"}) {
    EXPECT_FALSE(Config::load({{"ACCESS_LOG", no}}).log.access_log) << no;
  }
}

TEST(Config, EveryLogLevelIsAccepted) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    EXPECT_EQ(Config::load({{"LOG_LEVEL", level}}).log.level, level);
  }
}

TEST(Config, BadValuesNameTheVariable) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"HOST", ""},
      {"PORT", "abc"},
      {"PORT", "65536"},
      {"PORT", "-1"},
      {"PORT", "80x"},
      {"PORT", "8010 "},
      {"IO_THREADS", "0"},
      {"IO_THREADS", "many"},
      {"MAX_BODY_BYTES", "0"},
      {"MAX_BODY_BYTES", "1.5"},
      {"MAX_HEADER_BYTES", "100"},
      {"MAX_CONNECTIONS", "0"},
      {"IDLE_TIMEOUT_S", "0"},
      {"READ_TIMEOUT_S", "-5"},
      {"WRITE_TIMEOUT_S", "soon"},
      {"SHUTDOWN_TIMEOUT_S", "99999"},
      {"LOG_LEVEL", "verbose"},
      {"LOG_LEVEL", "INFO"},
      {"LOG_FORMAT", "xml"},
      {"ACCESS_LOG", "maybe"},
      {"DEFAULT_PROVIDER", "anthropic"},
      {"MOCK_LATENCY_MS", "-1"},
      {"MOCK_LATENCY_MS", "fast"},
  };
  for (const auto& [name, value] : bad) {
    const std::string message = load_error({{name, value}});
    ASSERT_FALSE(message.empty()) << name << "='" << value << "' was accepted";
    EXPECT_NE(message.find(name), std::string::npos)
        << name << "='" << value << "' gave: " << message;
  }
}

TEST(Config, VariableNamesAreUniqueAndCoverTheBasics) {
  const auto names = Config::variable_names();
  const std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
  for (const char* expected :
       {"HOST", "PORT", "IO_THREADS", "MAX_BODY_BYTES", "MAX_HEADER_BYTES", "MAX_CONNECTIONS",
        "IDLE_TIMEOUT_S", "READ_TIMEOUT_S", "WRITE_TIMEOUT_S", "SHUTDOWN_TIMEOUT_S", "LOG_LEVEL",
        "LOG_FORMAT", "ACCESS_LOG", "DEFAULT_PROVIDER", "MOCK_LATENCY_MS", "METRICS_TOKEN"}) {
    EXPECT_EQ(unique.count(expected), 1u) << expected;
  }
}

TEST(Config, EnvExampleListsEveryVariable) {
  const std::string path = std::string(AGW_SOURCE_DIR) + "/.env.example";
  const std::string text = read_file(path);
  ASSERT_FALSE(text.empty()) << path << " is missing or empty";
  std::set<std::string> listed;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (const auto eq = line.find('='); eq != std::string::npos && !line.starts_with("#")) {
      listed.insert(line.substr(0, eq));
    }
  }
  for (const auto& name : Config::variable_names()) {
    EXPECT_EQ(listed.count(name), 1u) << ".env.example has no line '" << name << "='";
  }
}

TEST(Config, EnvExampleValuesAreTheDefaults) {
  // .env.example says it lists every variable "with its default": loading it must change nothing.
  const std::string text = read_file(std::string(AGW_SOURCE_DIR) + "/.env.example");
  ASSERT_FALSE(text.empty());
  const Config example = Config::load(agw::config::parse_env_file(text));
  const Config defaults = Config::load({});
  EXPECT_EQ(example.server.host, defaults.server.host);
  EXPECT_EQ(example.server.port, defaults.server.port);
  EXPECT_EQ(example.server.io_threads, defaults.server.io_threads);
  EXPECT_EQ(example.server.max_body_bytes, defaults.server.max_body_bytes);
  EXPECT_EQ(example.server.max_header_bytes, defaults.server.max_header_bytes);
  EXPECT_EQ(example.server.max_connections, defaults.server.max_connections);
  EXPECT_EQ(example.server.idle_timeout, defaults.server.idle_timeout);
  EXPECT_EQ(example.server.read_timeout, defaults.server.read_timeout);
  EXPECT_EQ(example.server.write_timeout, defaults.server.write_timeout);
  EXPECT_EQ(example.server.shutdown_timeout, defaults.server.shutdown_timeout);
  EXPECT_EQ(example.log.level, defaults.log.level);
  EXPECT_EQ(example.log.format, defaults.log.format);
  EXPECT_EQ(example.log.access_log, defaults.log.access_log);
  EXPECT_EQ(example.providers.default_provider, defaults.providers.default_provider);
  EXPECT_EQ(example.providers.mock_latency, defaults.providers.mock_latency);
  EXPECT_EQ(example.metrics.token, defaults.metrics.token);
}
