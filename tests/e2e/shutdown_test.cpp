// SIGTERM: stop accepting, finish in-flight requests (bounded), exit 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "e2e/e2e_helpers.hpp"
#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;
using Env = std::map<std::string, std::string>;
using nlohmann::json;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

const std::string kChatBody =
    json{{"model", "mock-1"}, {"messages", json::array({{{"role", "user"}, {"content", "Hi"}}})}}
        .dump();

// Waits for the process to exit on its own (no second signal) and returns its exit code.
int wait_for_exit(GatewayProcess& gw, std::chrono::milliseconds timeout) {
  if (!eventually([&] { return !gw.running(); }, timeout)) return -1;
  return gw.stop();  // already exited: returns the exit code without signalling
}

// True when a new client gets no HTTP answer: refused, reset or closed without a byte.
bool new_connection_refused(std::uint16_t port) {
  try {
    RawConnection raw(port);
    if (!raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")) return true;
    return raw.read_all(3s).empty();
  } catch (const std::exception&) {
    return true;  // connect failed: nothing listens
  }
}

}  // namespace

TEST(Shutdown, InFlightRequestsFinishAndNewConnectionsAreRefused) {
  constexpr int kRequests = 6;
  std::mutex mutex;
  std::vector<HttpResult> results;
  std::vector<std::string> failures;
  ThreadGroup threads;
  GatewayProcess gw(Env{{"MOCK_LATENCY_MS", "1000"}});
  for (int i = 0; i < kRequests; ++i) {
    threads.spawn([&, port = gw.port(), key = gw.api_key()] {
      try {
        HttpClient client(port);
        auto r = client.post_json("/v1/chat/completions", kChatBody, bearer(key));
        std::lock_guard lock(mutex);
        results.push_back(std::move(r));
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        failures.emplace_back(e.what());
      }
    });
  }
  // Wait until every request is inside the server (the scrape itself counts as one more).
  {
    HttpClient metrics(gw.port());
    ASSERT_TRUE(eventually(
        [&] {
          const auto v = metric_value(metrics.get("/metrics").body, "agw_http_requests_in_flight");
          return v && *v >= kRequests + 1;
        },
        15s))
        << "requests never reached the server";
  }

  const auto signalled = SteadyClock::now();
  ASSERT_EQ(kill(gw.pid(), SIGTERM), 0);
  ASSERT_TRUE(gw.wait_for_output("shutting down", 10s)) << gw.output();
  EXPECT_TRUE(new_connection_refused(gw.port())) << "a connection made after SIGTERM was served";

  threads.join();
  EXPECT_TRUE(failures.empty()) << failures.front();
  ASSERT_EQ(results.size(), static_cast<std::size_t>(kRequests));
  for (const auto& r : results) {
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(json::parse(r.body)["object"], "chat.completion");
    EXPECT_FALSE(r.keep_alive) << "a draining server closes connections after the response";
  }
  EXPECT_EQ(wait_for_exit(gw, 30s), 0) << gw.output();
  EXPECT_LT(std::chrono::duration<double>(SteadyClock::now() - signalled).count(), 15.0);
  EXPECT_NE(gw.output().find("ai-gateway stopped"), std::string::npos) << gw.output();
}

TEST(Shutdown, IdleKeepAliveConnectionsDoNotDelayTheExit) {
  GatewayProcess gw(Env{{"SHUTDOWN_TIMEOUT_S", "60"}, {"IDLE_TIMEOUT_S", "60"}});
  std::vector<std::unique_ptr<HttpClient>> clients;
  for (int i = 0; i < 10; ++i) {
    clients.push_back(std::make_unique<HttpClient>(gw.port()));
    ASSERT_EQ(clients.back()->get("/healthz").status, 200);
    ASSERT_TRUE(clients.back()->connected());
  }
  // A connection that was accepted but has not sent anything yet is idle too.
  RawConnection silent(gw.port());
  const auto signalled = SteadyClock::now();
  ASSERT_EQ(kill(gw.pid(), SIGTERM), 0);
  EXPECT_EQ(wait_for_exit(gw, 30s), 0) << gw.output();
  EXPECT_LT(std::chrono::duration<double>(SteadyClock::now() - signalled).count(), 10.0);
  EXPECT_TRUE(silent.closed_by_peer(5s));
}

TEST(Shutdown, SigintDrainsLikeSigterm) {
  GatewayProcess gw;
  HttpClient client(gw.port());
  ASSERT_EQ(client.get("/healthz").status, 200);
  ASSERT_EQ(kill(gw.pid(), SIGINT), 0);
  EXPECT_EQ(wait_for_exit(gw, 30s), 0) << gw.output();
}

TEST(Shutdown, DrainIsBoundedByTheShutdownTimeout) {
  std::atomic<bool> answered{false};
  ThreadGroup threads;
  GatewayProcess gw(Env{{"MOCK_LATENCY_MS", "20000"}, {"SHUTDOWN_TIMEOUT_S", "1"}});
  threads.spawn([&answered, port = gw.port(), key = gw.api_key()] {
    try {
      HttpClient client(port);
      answered = client.post_json("/v1/chat/completions", kChatBody, bearer(key)).status != 0;
    } catch (const std::exception&) {
      // the connection is closed when the timeout passes
    }
  });
  {
    HttpClient metrics(gw.port());
    ASSERT_TRUE(eventually(
        [&] {
          const auto v = metric_value(metrics.get("/metrics").body, "agw_http_requests_in_flight");
          return v && *v >= 2;
        },
        15s));
  }
  const auto signalled = SteadyClock::now();
  ASSERT_EQ(kill(gw.pid(), SIGTERM), 0);
  const int code = wait_for_exit(gw, 30s);
  const double elapsed = std::chrono::duration<double>(SteadyClock::now() - signalled).count();
  threads.join();
  EXPECT_EQ(code, 0) << gw.output();
  EXPECT_GE(elapsed, 0.8) << "did not wait for the in-flight request";
  EXPECT_LT(elapsed, 10.0);
  EXPECT_FALSE(answered);
  EXPECT_NE(gw.output().find("shutdown timeout"), std::string::npos) << gw.output();
}
