#pragma once
// Shared checks for the end-to-end tests.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

namespace agw::test {

// A fixture whose tests share one gateway (started once per suite, stopped with exit code 0 at
// the end) and get a fresh keyed client each. `Suite` may declare a static gateway_env().
template <class Suite>
class SharedGatewayTest : public ::testing::Test {
 protected:
  static std::map<std::string, std::string> gateway_env() { return {}; }
  static void SetUpTestSuite() { gateway_ = std::make_unique<GatewayProcess>(Suite::gateway_env()); }
  static void TearDownTestSuite() {
    if (gateway_) {
      EXPECT_EQ(gateway_->stop(), 0);
    }
    gateway_.reset();
  }
  void SetUp() override {
    ASSERT_NE(gateway_, nullptr) << "the gateway did not start";
    client_ = std::make_unique<HttpClient>(*gateway_);
  }
  std::uint16_t port() const { return gateway_->port(); }

  static inline std::unique_ptr<GatewayProcess> gateway_;
  std::unique_ptr<HttpClient> client_;
};

// Asserts OpenAI's error envelope with `status` and `code`: an "error" object of exactly message,
// type, param and code (a route may add members beside it, as /readyz adds "checks").
inline void expect_error(const HttpResult& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  const auto body = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_TRUE(body.is_object()) << r.body;
  ASSERT_TRUE(body.contains("error")) << r.body;
  const auto& e = body["error"];
  ASSERT_TRUE(e.is_object()) << r.body;
  EXPECT_EQ(e.size(), 4u) << r.body;
  EXPECT_TRUE(e["message"].is_string() && !e["message"].get<std::string>().empty()) << r.body;
  EXPECT_TRUE(e["type"].is_string()) << r.body;
  EXPECT_TRUE(e.contains("param") && (e["param"].is_null() || e["param"].is_string())) << r.body;
  EXPECT_EQ(e["code"], code) << r.body;
  EXPECT_EQ(r.header("content-type"), "application/json");
  EXPECT_FALSE(r.header("x-request-id").empty());
}

// The same checks on a raw HTTP/1.1 response text.
inline void expect_raw_error(const std::string& raw, int status, const std::string& code) {
  ASSERT_TRUE(raw.starts_with("HTTP/1.1 " + std::to_string(status) + " ")) << raw;
  const auto head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw;
  std::string head = raw.substr(0, head_end);
  for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_NE(head.find("\r\nx-request-id: "), std::string::npos) << raw;
  const auto body = nlohmann::json::parse(raw.substr(head_end + 4), nullptr, false);
  ASSERT_TRUE(body.is_object()) << raw;
  EXPECT_EQ(body["error"]["code"], code) << raw;
  EXPECT_TRUE(body["error"]["message"].is_string()) << raw;
  EXPECT_TRUE(body["error"]["type"].is_string()) << raw;
  EXPECT_TRUE(body["error"].contains("param")) << raw;
}

// The value of the sample `series` (name with labels, exactly as rendered) in Prometheus text.
inline std::optional<double> metric_value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

// Polls `condition` every 10 ms until it holds or `timeout` passes.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

// Threads joined when the group goes out of scope, so a failed ASSERT never leaves one running.
// Declare it before the GatewayProcess: the gateway dies first, which ends any blocked request.
// Threads must not touch the GatewayProcess (it may be gone): give them its port and key.
class ThreadGroup {
 public:
  ThreadGroup() = default;
  ThreadGroup(const ThreadGroup&) = delete;
  ThreadGroup& operator=(const ThreadGroup&) = delete;
  ~ThreadGroup() { join(); }
  template <class F>
  void spawn(F f) {
    threads_.emplace_back(std::move(f));
  }
  void join() {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  std::vector<std::thread> threads_;
};

// Keeps sending small pieces until the peer has closed the connection for good (a send fails);
// true when that happened within `timeout`. A half-closed peer that still reads is not enough.
inline bool peer_stops_reading(RawConnection& raw, std::chrono::milliseconds timeout) {
  const std::string piece(16 * 1024, 'x');
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!raw.send(piece)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

inline std::vector<std::pair<std::string, std::string>> bearer(const std::string& key) {
  return {{"Authorization", "Bearer " + key}};
}

}  // namespace agw::test
