#pragma once
// The gateway's configuration: parsed and validated once at start-up, then passed by const&.
// Nothing reads the environment after Config::load.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace agw::config {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class LogFormat { text, json };
enum class ProviderKind { mock, openai };

// Variables by name, as read from the process environment over an optional .env file.
using Variables = std::map<std::string, std::string, std::less<>>;

struct ServerConfig {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8010;
  unsigned io_threads = 1;
  std::size_t max_body_bytes = 8 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_connections = 10000;
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds shutdown_timeout{30'000};
};

struct LogConfig {
  std::string level = "info";
  LogFormat format = LogFormat::text;
  bool access_log = true;
};

struct OpenAiConfig {
  std::string base_url = "https://api.openai.com/v1";
  std::string api_key;
  std::string http_referer;
  std::string title;
  std::string ca_file;
};

struct UpstreamConfig {
  std::size_t max_connections = 256;
  std::chrono::milliseconds connect_timeout{5'000};
  std::chrono::milliseconds timeout{300'000};
  int max_retries = 2;
  std::chrono::milliseconds retry_base{250};
  std::chrono::milliseconds retry_max_wait{20'000};
};

struct ProvidersConfig {
  ProviderKind default_provider = ProviderKind::mock;
  std::chrono::milliseconds mock_latency{0};
  OpenAiConfig openai;
  UpstreamConfig upstream;
  std::chrono::milliseconds models_cache_ttl{300'000};
};

struct DatabaseConfig {
  std::string url;  // DATABASE_URL, libpq URI form; empty: not configured
  std::size_t pool_size = 4;
  std::chrono::milliseconds timeout{2000};
  bool auto_migrate = true;
  std::string migrations_dir;  // empty: the migrations compiled into the binary
};

struct AuthConfig {
  std::chrono::milliseconds key_cache_ttl{10'000};
  std::chrono::milliseconds negative_cache_ttl{2'000};
  std::int64_t fail_limit = 100;  // failed authentications per client address per minute
};

struct MetricsConfig {
  std::string token;  // empty: /metrics is open
};

struct Config {
  ServerConfig server;
  LogConfig log;
  ProvidersConfig providers;
  DatabaseConfig database;
  AuthConfig auth;
  MetricsConfig metrics;

  // Parses and validates; throws ConfigError naming the first bad variable.
  static Config load(const Variables& vars);
  // The names load() reads, in order: .env.example must list each of them.
  static std::vector<std::string> variable_names();
};

// Parses the text of a .env file: KEY=VALUE lines, '#' comments, optional `export `, optional
// single or double quotes. Throws ConfigError on a malformed line (with its number).
Variables parse_env_file(const std::string& text);

// The process environment over the .env file at `env_path` (when it exists): the environment wins.
Variables gather_variables(const std::string& env_path, char** environ_ptr);

}  // namespace agw::config
