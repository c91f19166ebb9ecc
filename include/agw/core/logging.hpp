#pragma once
// spdlog set-up: an async logger for the application ("agw", the default logger) and one for the
// access log, text or JSON lines on stdout. Never log a client key; use redact_key().
#include <string>
#include <string_view>

#include "agw/config/config.hpp"

namespace agw::core {

void init_logging(const config::LogConfig& config);
void flush_logging();

struct AccessEntry {
  std::string_view request_id;
  std::string_view client;
  std::string_view method;
  std::string_view path;
  int status = 0;
  double duration_ms = 0;
  std::size_t bytes_in = 0;
  std::size_t bytes_out = 0;
  std::string_view error_code;
};

void log_access(const AccessEntry& entry);

}  // namespace agw::core
