#include "agw/config/config.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <thread>

namespace agw::config {
namespace {

// Reads typed values by name, recording each name so .env.example can be checked against it.
class Reader {
 public:
  explicit Reader(const Variables& vars) : vars_(vars) {}

  std::string string(const char* name, std::string fallback) {
    names_.emplace_back(name);
    const auto it = vars_.find(name);
    return it == vars_.end() ? std::move(fallback) : it->second;
  }

  std::int64_t integer(const char* name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) {
    const std::string text = string(name, "");
    if (text.empty()) return fallback;
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min || value > max) {
      throw ConfigError(std::string(name) + ": expected an integer from " + std::to_string(min) +
                        " to " + std::to_string(max) + ", got '" + text + "'");
    }
    return value;
  }

  std::chrono::milliseconds millis(const char* name, std::int64_t fallback, std::int64_t min,
                                   std::int64_t max) {
    return std::chrono::milliseconds(integer(name, fallback, min, max));
  }

  std::chrono::milliseconds seconds(const char* name, std::int64_t fallback, std::int64_t min,
                                    std::int64_t max) {
    return std::chrono::seconds(integer(name, fallback, min, max));
  }

  bool boolean(const char* name, bool fallback) {
    std::string text = string(name, "");
    std::transform(text.begin(), text.end(), text.begin(), ::tolower);
    if (text.empty()) return fallback;
    if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
    if (text == "false" || text == "0" || text == "no" || text == "off") return false;
    throw ConfigError(std::string(name) + ": expected true or false, got '" + text + "'");
  }

  template <class Enum>
  Enum choice(const char* name, Enum fallback,
              std::initializer_list<std::pair<std::string_view, Enum>> options) {
    const std::string text = string(name, "");
    if (text.empty()) return fallback;
    std::string allowed;
    for (const auto& [label, value] : options) {
      if (text == label) return value;
      if (!allowed.empty()) allowed += '|';
      allowed.append(label);
    }
    throw ConfigError(std::string(name) + ": expected one of " + allowed + ", got '" + text + "'");
  }

  std::vector<std::string> names() && { return std::move(names_); }

 private:
  const Variables& vars_;
  std::vector<std::string> names_;
};

Config read(Reader& r) {
  Config c;
  auto& s = c.server;
  s.host = r.string("HOST", s.host);
  if (s.host.empty()) throw ConfigError("HOST: must not be empty");
  s.port = static_cast<std::uint16_t>(r.integer("PORT", s.port, 0, 65535));
  const auto cores = std::max(1u, std::thread::hardware_concurrency());
  s.io_threads = static_cast<unsigned>(r.integer("IO_THREADS", cores, 1, 256));
  s.max_body_bytes = static_cast<std::size_t>(
      r.integer("MAX_BODY_BYTES", static_cast<std::int64_t>(s.max_body_bytes), 1, 1LL << 32));
  s.max_header_bytes = static_cast<std::size_t>(
      r.integer("MAX_HEADER_BYTES", static_cast<std::int64_t>(s.max_header_bytes), 1024, 1 << 20));
  s.max_connections = static_cast<std::size_t>(
      r.integer("MAX_CONNECTIONS", static_cast<std::int64_t>(s.max_connections), 1, 1'000'000));
  s.idle_timeout = r.seconds("IDLE_TIMEOUT_S", 60, 1, 86400);
  s.read_timeout = r.seconds("READ_TIMEOUT_S", 30, 1, 3600);
  s.write_timeout = r.seconds("WRITE_TIMEOUT_S", 30, 1, 3600);
  s.shutdown_timeout = r.seconds("SHUTDOWN_TIMEOUT_S", 30, 0, 3600);

  auto& l = c.log;
  l.level = r.string("LOG_LEVEL", l.level);
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info", "warn",
                                                 "error", "critical", "off"};
  if (std::find(std::begin(kLevels), std::end(kLevels), l.level) == std::end(kLevels)) {
    throw ConfigError("LOG_LEVEL: expected trace|debug|info|warn|error|critical|off, got '" +
                      l.level + "'");
  }
  l.format = r.choice("LOG_FORMAT", l.format, {{"text", LogFormat::text}, {"json", LogFormat::json}});
  l.access_log = r.boolean("ACCESS_LOG", l.access_log);

  auto& p = c.providers;
  p.default_provider = r.choice("DEFAULT_PROVIDER", p.default_provider,
                                {{"mock", ProviderKind::mock}, {"openai", ProviderKind::openai}});
  p.mock_latency = r.millis("MOCK_LATENCY_MS", 0, 0, 600'000);
  auto& o = p.openai;
  o.base_url = r.string("OPENAI_BASE_URL", o.base_url);
  if (!o.base_url.starts_with("http://") && !o.base_url.starts_with("https://")) {
    throw ConfigError("OPENAI_BASE_URL: expected an http:// or https:// URL");
  }
  o.api_key = r.string("OPENAI_API_KEY", "");
  o.http_referer = r.string("OPENAI_HTTP_REFERER", "");
  o.title = r.string("OPENAI_TITLE", "");
  o.ca_file = r.string("OPENAI_CA_FILE", "");
  auto& u = p.upstream;
  u.max_connections = static_cast<std::size_t>(r.integer("UPSTREAM_MAX_CONNECTIONS", 256, 1, 100'000));
  u.connect_timeout = r.millis("UPSTREAM_CONNECT_TIMEOUT_MS", 5'000, 1, 600'000);
  u.timeout = r.millis("UPSTREAM_TIMEOUT_MS", 300'000, 1, 3'600'000);
  u.max_retries = static_cast<int>(r.integer("UPSTREAM_MAX_RETRIES", 2, 0, 20));
  u.retry_base = r.millis("UPSTREAM_RETRY_BASE_MS", 250, 0, 600'000);
  u.retry_max_wait = r.millis("UPSTREAM_RETRY_MAX_WAIT_MS", 20'000, 0, 3'600'000);
  p.models_cache_ttl = r.seconds("MODELS_CACHE_TTL_S", 300, 0, 86400);

  auto& d = c.database;
  d.url = r.string("DATABASE_URL", "");
  if (!d.url.empty() && !d.url.starts_with("postgresql://") && !d.url.starts_with("postgres://")) {
    throw ConfigError("DATABASE_URL: expected a postgresql:// URI");
  }
  d.pool_size = static_cast<std::size_t>(r.integer("DB_POOL_SIZE", 4, 1, 256));
  d.timeout = r.millis("DB_TIMEOUT_MS", 2000, 50, 600'000);
  d.auto_migrate = r.boolean("AUTO_MIGRATE", d.auto_migrate);
  d.migrations_dir = r.string("MIGRATIONS_DIR", "");

  auto& a = c.auth;
  a.key_cache_ttl = r.seconds("KEY_CACHE_TTL_S", 10, 0, 3600);
  a.negative_cache_ttl = r.seconds("KEY_NEGATIVE_CACHE_TTL_S", 2, 0, 3600);
  a.fail_limit = r.integer("AUTH_FAIL_LIMIT", a.fail_limit, 0, 1'000'000'000);

  c.metrics.token = r.string("METRICS_TOKEN", "");
  return c;
}

}  // namespace

Config Config::load(const Variables& vars) {
  Reader reader(vars);
  return read(reader);
}

std::vector<std::string> Config::variable_names() {
  const Variables none;
  Reader reader(none);
  read(reader);
  return std::move(reader).names();
}

}  // namespace agw::config
