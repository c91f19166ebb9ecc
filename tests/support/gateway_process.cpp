#include "support/gateway_process.hpp"

#include "support/test_database.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <vector>

namespace agw::test {
namespace {

pid_t spawn(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
            int& out_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    // A directory without a .env file, so the developer's .env never leaks into tests.
    if (chdir("/tmp") != 0) _exit(126);
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(fds[1]);
  out_fd = fds[0];
  return pid;
}

std::map<std::string, std::string> base_env(std::map<std::string, std::string> extra) {
  std::map<std::string, std::string> env = {{"PORT", "0"},
                                            {"HOST", "127.0.0.1"},
                                            {"LOG_LEVEL", "info"},
                                            {"IO_THREADS", "2"},
                                            {"PATH", "/usr/bin:/bin"}};
  if (const char* asan = std::getenv("ASAN_OPTIONS")) env["ASAN_OPTIONS"] = asan;
  if (const char* ubsan = std::getenv("UBSAN_OPTIONS")) env["UBSAN_OPTIONS"] = ubsan;
  for (auto& [k, v] : extra) env[k] = std::move(v);
  return env;
}

}  // namespace

GatewayProcess::GatewayProcess(std::map<std::string, std::string> env, std::string subcommand) {
  if (!env.contains("DATABASE_URL")) env["DATABASE_URL"] = test_database_url();
  database_url_ = env["DATABASE_URL"];
  pid_ = spawn({AGW_BINARY, subcommand}, base_env(std::move(env)), out_fd_);
  reader_ = std::thread([this] {
    char buf[4096];
    for (;;) {
      const ssize_t n = read(out_fd_, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(mutex_);
      output_.append(buf, static_cast<std::size_t>(n));
    }
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  static const std::regex kListening(R"(listening on [^ ]+:(\d+))");
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    const std::string out = output();
    if (std::regex_search(out, m, kListening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return;
    }
    if (!running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const std::string out = output();
  stop(SIGKILL);
  throw std::runtime_error("gateway did not start; output:\n" + out);
}

GatewayProcess::~GatewayProcess() {
  if (exit_code_ < 0 && pid_ > 0) stop(SIGKILL);
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) close(out_fd_);
}

const std::string& GatewayProcess::api_key() {
  if (api_key_.empty()) {
    const auto result =
        run_binary({"create-key", "--name", "test", "--json"}, {{"DATABASE_URL", database_url_}});
    if (result.exit_code != 0) throw std::runtime_error("create-key failed: " + result.output);
    api_key_ = nlohmann::json::parse(result.output).at("key").get<std::string>();
  }
  return api_key_;
}

bool GatewayProcess::running() {
  if (exit_code_ >= 0) return false;
  int status = 0;
  const pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int GatewayProcess::stop(int signal, std::chrono::seconds timeout) {
  if (!running()) {
    // Already exited (or failed to start): the reader ends with the pipe; never leave it joinable.
    if (reader_.joinable()) reader_.join();
    return exit_code_;
  }
  kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      exit_code_ = 128 + SIGKILL;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (reader_.joinable()) reader_.join();
  return exit_code_;
}

std::string GatewayProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

bool GatewayProcess::wait_for_output(const std::string& needle,
                                     std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (output().find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

RunResult run_binary(const std::vector<std::string>& args, std::map<std::string, std::string> env,
                     std::chrono::seconds timeout) {
  std::vector<std::string> argv = {AGW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  int fd = -1;
  const pid_t pid = spawn(argv, base_env(std::move(env)), fd);
  std::string out;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, 100);
    if (ready > 0) {
      const ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      out.append(buf, static_cast<std::size_t>(n));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      break;
    }
  }
  close(fd);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out};
}

}  // namespace agw::test
