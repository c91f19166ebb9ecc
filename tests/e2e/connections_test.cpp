// Connection handling: keep-alive, many clients at once, slow and idle clients, huge bodies.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
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

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

}  // namespace

TEST(KeepAlive, ManySequentialRequestsShareOneConnection) {
  GatewayProcess gw;
  HttpClient client(gw);
  ASSERT_EQ(client.get("/healthz").status, 200);
  const auto port = client.local_port();
  ASSERT_NE(port, 0);
  for (int i = 0; i < 100; ++i) {
    const auto r =
        i % 2 == 0 ? client.post_json("/v1/chat/completions", kChatBody) : client.get("/v1/models");
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.body;
    ASSERT_TRUE(r.keep_alive) << "request " << i;
    ASSERT_EQ(client.local_port(), port) << "request " << i << " used a new connection";
  }
  EXPECT_EQ(gw.stop(), 0);
}

TEST(KeepAlive, ConnectionCloseAndHttp10AreHonoured) {
  GatewayProcess gw;
  {
    RawConnection raw(gw.port());
    ASSERT_TRUE(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    const std::string response = raw.read_response(10s);
    EXPECT_TRUE(response.starts_with("HTTP/1.1 200 ")) << response;
    EXPECT_TRUE(raw.closed_by_peer(10s));
  }
  {
    RawConnection raw(gw.port());
    ASSERT_TRUE(raw.send("GET /healthz HTTP/1.0\r\n\r\n"));
    const std::string response = raw.read_response(10s);
    EXPECT_TRUE(response.starts_with("HTTP/1.0 200 ")) << response;
    EXPECT_TRUE(raw.closed_by_peer(10s));
  }
  {
    // Pipelined requests on one connection are answered in order.
    RawConnection raw(gw.port());
    ASSERT_TRUE(
        raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
                 "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n"
                 "Connection: close\r\n\r\n"));
    const std::string both = raw.read_all(5s);
    const auto first = both.find("x-request-id: first");
    const auto second = both.find("x-request-id: second");
    ASSERT_NE(first, std::string::npos) << both;
    ASSERT_NE(second, std::string::npos) << both;
    EXPECT_LT(first, second);
  }
  EXPECT_EQ(gw.stop(), 0);
}

TEST(Concurrency, TwoHundredClientsAtOnceAllSucceed) {
  // Each call waits 300 ms in the mock: served one after another they would take a minute.
  constexpr int kClients = 200;
  std::latch start(kClients + 1);
  std::atomic<int> ok{0};
  std::mutex failures_mutex;
  std::vector<std::string> failures;
  ThreadGroup threads;
  GatewayProcess gw(Env{{"MOCK_LATENCY_MS", "300"}});
  for (int i = 0; i < kClients; ++i) {
    threads.spawn([&, i, port = gw.port(), key = gw.api_key()] {
      HttpClient client(port);
      const std::string id = "client-" + std::to_string(i);
      start.arrive_and_wait();
      try {
        auto headers = bearer(key);
        headers.emplace_back("X-Request-Id", id);
        const auto chat = client.post_json("/v1/chat/completions", kChatBody, headers);
        const auto health = client.get("/healthz");
        if (chat.status == 200 && chat.header("x-request-id") == id &&
            json::parse(chat.body)["object"] == "chat.completion" && health.status == 200) {
          ++ok;
        } else {
          std::lock_guard lock(failures_mutex);
          failures.push_back(std::to_string(chat.status) + " " + chat.body);
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(failures_mutex);
        failures.push_back(e.what());
      }
    });
  }
  start.arrive_and_wait();
  const auto started = SteadyClock::now();
  threads.join();
  const double elapsed = seconds_since(started);
  EXPECT_EQ(ok.load(), kClients) << (failures.empty() ? "" : failures.front());
  EXPECT_LT(elapsed, 20.0) << "the mock's latency must not block the event loop";
  EXPECT_EQ(gw.stop(), 0);
}

class Timeouts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gateway_ = std::make_unique<GatewayProcess>(
        std::map<std::string, std::string>{{"READ_TIMEOUT_S", "1"}, {"IDLE_TIMEOUT_S", "1"}});
  }
  static void TearDownTestSuite() {
    if (gateway_) {
      EXPECT_EQ(gateway_->stop(), 0);
    }
    gateway_.reset();
  }
  void SetUp() override { ASSERT_NE(gateway_, nullptr) << "the gateway did not start"; }
  static inline std::unique_ptr<GatewayProcess> gateway_;
};

TEST_F(Timeouts, SlowLorisIsCutOffWhileOthersAreServed) {
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, failed{0};
  std::thread others([&] {
    HttpClient client(gateway_->port());
    while (!done) {
      try {
        if (client.get("/healthz").status == 200)
          ++served;
        else
          ++failed;
      } catch (const std::exception&) {
        ++failed;
      }
      std::this_thread::sleep_for(50ms);
    }
  });

  RawConnection slow(gateway_->port());
  const std::string request =
      "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a') + "\r\n\r\n";
  const auto started = SteadyClock::now();
  bool cut_off = false;
  std::size_t sent = 0;
  for (; sent < request.size(); ++sent) {
    if (!slow.send(request.substr(sent, 1))) {
      cut_off = true;
      break;
    }
    // One byte every 200 ms; notice the server closing in between.
    if (slow.closed_by_peer(200ms)) {
      cut_off = true;
      break;
    }
  }
  const double elapsed = seconds_since(started);
  done = true;
  others.join();

  EXPECT_TRUE(cut_off) << "the slow client sent its whole request";
  EXPECT_GE(elapsed, 0.8) << "cut off before READ_TIMEOUT_S";
  EXPECT_LT(elapsed, 10.0);
  EXPECT_LT(sent, request.size());
  EXPECT_GT(served.load(), 2);
  EXPECT_EQ(failed.load(), 0);
}

TEST_F(Timeouts, SlowBodyIsCutOff) {
  RawConnection slow(gateway_->port());
  ASSERT_TRUE(
      slow.send("POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: 1000\r\n\r\n{"));
  const auto started = SteadyClock::now();
  EXPECT_TRUE(slow.closed_by_peer(10s));
  EXPECT_GE(seconds_since(started), 0.8);
}

TEST_F(Timeouts, IdleKeepAliveConnectionIsClosed) {
  RawConnection idle(gateway_->port());
  ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string response = idle.read_response(10s);
  ASSERT_TRUE(response.starts_with("HTTP/1.1 200 ")) << response;
  const auto answered = SteadyClock::now();
  EXPECT_FALSE(idle.closed_by_peer(300ms)) << "closed long before IDLE_TIMEOUT_S";
  EXPECT_TRUE(idle.closed_by_peer(10s)) << "idle connection still open";
  const double elapsed = seconds_since(answered);
  EXPECT_GE(elapsed, 0.8);
  EXPECT_LT(elapsed, 10.0);
}

TEST_F(Timeouts, ConnectionThatNeverSendsIsClosed) {
  RawConnection silent(gateway_->port());
  const auto started = SteadyClock::now();
  EXPECT_TRUE(silent.closed_by_peer(10s));
  EXPECT_GE(seconds_since(started), 0.8);
}

TEST(LargeBody, SixtyFourMebibytesAreRefusedWithoutBeingRead) {
  GatewayProcess gw;  // MAX_BODY_BYTES defaults to 8 MiB
  constexpr std::size_t kAnnounced = 64u * 1024 * 1024;
  {
    RawConnection raw(gw.port());
    ASSERT_TRUE(
        raw.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                 "Content-Type: application/json\r\nX-Request-Id: big-body-1\r\n"
                 "Authorization: Bearer " +
                 gw.api_key() +
                 "\r\n"
                 "Content-Length: " +
                 std::to_string(kAnnounced) + "\r\n\r\n"));
    const std::string chunk(1024 * 1024, ' ');
    ASSERT_TRUE(raw.send(chunk));
    // The answer comes while 63 MiB are still unsent: the server did not wait for the body.
    const std::string response = raw.read_response(10s);
    expect_raw_error(response, 413, "payload_too_large");
    std::string head = response.substr(0, response.find("\r\n\r\n"));
    for (auto& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_NE(head.find("connection: close"), std::string::npos) << response;
    EXPECT_NE(head.find("x-request-id: big-body-1"), std::string::npos) << response;

    // A client that keeps streaming is not read forever: the server closes the connection.
    const auto started = SteadyClock::now();
    for (std::size_t sent = chunk.size(); sent < kAnnounced && raw.send(chunk);)
      sent += chunk.size();
    EXPECT_TRUE(peer_stops_reading(raw, 15s)) << "the server kept reading the refused body";
    EXPECT_LT(seconds_since(started), 15.0);
  }
  HttpClient client(gw.port());
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(gw.stop(), 0);
}

TEST(LargeBody, ExpectContinueGetsTheRefusalInsteadOfContinue) {
  GatewayProcess gw(Env{{"MAX_BODY_BYTES", "1024"}});
  {
    RawConnection raw(gw.port());
    ASSERT_TRUE(
        raw.send("POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Content-Length: 67108864\r\nExpect: 100-continue\r\n\r\n"));
    const std::string response = raw.read_response(10s);
    expect_raw_error(response, 413, "payload_too_large");
    EXPECT_EQ(response.find("100 Continue"), std::string::npos);
    EXPECT_TRUE(raw.closed_by_peer(10s));
  }
  {
    // Under the limit, the client is told to continue and then answered.
    RawConnection ok(gw.port());
    const std::string body = json{{"model", "mock-1"}, {"input", "x"}}.dump();
    ASSERT_TRUE(
        ok.send("POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Authorization: Bearer " +
                gw.api_key() + "\r\nContent-Length: " + std::to_string(body.size()) +
                "\r\nExpect: 100-continue\r\n\r\n"));
    const std::string interim = ok.read_response(10s);
    EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue\r\n")) << interim;
    ASSERT_TRUE(ok.send(body));
    const std::string final_response = ok.read_response(10s);
    EXPECT_TRUE(final_response.starts_with("HTTP/1.1 200 ")) << final_response;
  }
  EXPECT_EQ(gw.stop(), 0);
}

TEST(ConnectionLimit, ConnectionsOverMaxConnectionsAreClosedAtAccept) {
  GatewayProcess gw(Env{{"MAX_CONNECTIONS", "2"}});
  auto first = std::make_unique<HttpClient>(gw.port());
  HttpClient second(gw.port());
  ASSERT_EQ(first->get("/healthz").status, 200);
  ASSERT_EQ(second.get("/healthz").status, 200);
  {
    RawConnection third(gw.port());  // the kernel accepts; the server closes it at once
    third.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(third.read_all(5s), "");
  }
  const auto metrics = first->get("/metrics");
  const auto rejected = metric_value(metrics.body, "agw_http_connections_rejected_total");
  ASSERT_TRUE(rejected) << metrics.body;
  EXPECT_GE(*rejected, 1.0);
  // Open connections keep being served, and a freed slot is used again.
  EXPECT_EQ(second.get("/healthz").status, 200);
  first.reset();
  EXPECT_TRUE(eventually(
      [&] {
        try {
          HttpClient fresh(gw.port());
          return fresh.get("/healthz").status == 200;
        } catch (const std::exception&) {
          return false;
        }
      },
      5s));
  EXPECT_EQ(gw.stop(), 0);
}
