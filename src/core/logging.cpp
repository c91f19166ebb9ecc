#include "agw/core/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace agw::core {
namespace {

bool g_json = false;
bool g_access = true;

void append_json_string(spdlog::memory_buf_t& dest, std::string_view text) {
  const std::string quoted = nlohmann::json(text).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace);
  dest.append(quoted.data(), quoted.data() + quoted.size());
}

// One JSON object per line. The access logger's payload is already a list of JSON fields.
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(bool payload_is_fields) : payload_is_fields_(payload_is_fields) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const auto time = msg.time.time_since_epoch();
    const std::time_t secs = std::chrono::duration_cast<std::chrono::seconds>(time).count();
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(time).count() % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char stamp[40];
    const auto n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(millis));
    fmt::format_to(std::back_inserter(dest), R"({{"ts":"{}","level":"{}","logger":")", stamp,
                   spdlog::level::to_string_view(msg.level));
    dest.append(msg.logger_name.data(), msg.logger_name.data() + msg.logger_name.size());
    dest.append(std::string_view("\","));
    if (payload_is_fields_) {
      dest.append(msg.payload.data(), msg.payload.data() + msg.payload.size());
    } else {
      dest.append(std::string_view("\"msg\":"));
      append_json_string(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    }
    dest.append(std::string_view("}\n"));
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>(payload_is_fields_);
  }

 private:
  bool payload_is_fields_;
};

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, bool payload_is_fields) {
  auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  // Logging never blocks the event loop: when the queue is full the oldest line is dropped.
  auto logger = std::make_shared<spdlog::async_logger>(name, std::move(sink),
                                                       spdlog::thread_pool(),
                                                       spdlog::async_overflow_policy::overrun_oldest);
  if (g_json) {
    logger->set_formatter(std::make_unique<JsonFormatter>(payload_is_fields));
  } else {
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %-5l %n %v", spdlog::pattern_time_type::utc));
  }
  // Application lines are flushed at once (start-up lines are read by scripts); access lines are
  // flushed by spdlog's periodic flusher so a busy server does not write(2) per request.
  logger->flush_on(payload_is_fields ? spdlog::level::warn : spdlog::level::info);
  return logger;
}

}  // namespace

void init_logging(const config::LogConfig& config) {
  g_json = config.format == config::LogFormat::json;
  g_access = config.access_log;
  if (!spdlog::thread_pool()) spdlog::init_thread_pool(16384, 1);
  spdlog::drop_all();
  auto app = make_logger("agw", false);
  app->set_level(spdlog::level::from_str(config.level));
  spdlog::set_default_logger(app);
  auto access = make_logger("access", true);
  access->set_level(spdlog::level::from_str(config.level));
  spdlog::register_logger(access);
  spdlog::flush_every(std::chrono::seconds(1));
}

void flush_logging() {
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
}

void log_access(const AccessEntry& e) {
  static thread_local std::shared_ptr<spdlog::logger> access = spdlog::get("access");
  if (!g_access || !access || !access->should_log(spdlog::level::info)) return;
  if (g_json) {
    spdlog::memory_buf_t buf;
    auto out = std::back_inserter(buf);
    fmt::format_to(out, R"("request_id":"{}","client":"{}","method":"{}","path":)", e.request_id,
                   e.client, e.method);
    append_json_string(buf, e.path);
    fmt::format_to(out, R"(,"status":{},"duration_ms":{:.3f},"bytes_in":{},"bytes_out":{})",
                   e.status, e.duration_ms, e.bytes_in, e.bytes_out);
    if (!e.error_code.empty()) fmt::format_to(out, R"(,"error":"{}")", e.error_code);
    access->info(std::string_view(buf.data(), buf.size()));
  } else {
    access->info("{} {} {} {} {:.3f}ms in={} out={} id={}{}{}", e.client, e.method, e.path,
                 e.status, e.duration_ms, e.bytes_in, e.bytes_out, e.request_id,
                 e.error_code.empty() ? "" : " error=", e.error_code);
  }
}

}  // namespace agw::core
