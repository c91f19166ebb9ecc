#pragma once
// Starts the real ai-gateway binary on a free port and captures its output.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace agw::test {

class GatewayProcess {
 public:
  // `env` is added to a minimal environment (PORT=0, HOST=127.0.0.1, LOG_LEVEL=info, and
  // DATABASE_URL of the test database unless `env` names one).
  explicit GatewayProcess(std::map<std::string, std::string> env = {},
                          std::string subcommand = "serve");
  ~GatewayProcess();
  GatewayProcess(const GatewayProcess&) = delete;
  GatewayProcess& operator=(const GatewayProcess&) = delete;

  std::uint16_t port() const { return port_; }
  const std::string& database_url() const { return database_url_; }
  // A key for this gateway's database, created with `ai-gateway create-key` on first use.
  const std::string& api_key();
  pid_t pid() const { return pid_; }
  // Sends `signal` and waits for the exit; returns the exit code (or 128+signal if killed).
  int stop(int signal = 15, std::chrono::seconds timeout = std::chrono::seconds(30));
  bool running();
  // Everything the process printed so far.
  std::string output() const;
  // Waits until `needle` appears in the output.
  bool wait_for_output(const std::string& needle, std::chrono::milliseconds timeout) const;

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string database_url_;
  std::string api_key_;
  int exit_code_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string output_;
};

// Runs the binary to completion (for CLI and config checks): exit code and combined output.
struct RunResult {
  int exit_code;
  std::string output;
};
RunResult run_binary(const std::vector<std::string>& args, std::map<std::string, std::string> env,
                     std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace agw::test
