// FailureThrottle with a fake clock: the limit per address and clock minute, Retry-After, reset.
#include <gtest/gtest.h>

#include <chrono>

#include "agw/auth/failure_throttle.hpp"

using agw::auth::FailureThrottle;
using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

namespace {

class FailureThrottleTest : public ::testing::Test {
 protected:
  FailureThrottle make(std::int64_t limit) {
    return FailureThrottle(limit, [this] { return now_; });
  }
  // 15 s into a clock minute.
  TimePoint now_ = TimePoint{} + 600min + 15s;
};

}  // namespace

TEST_F(FailureThrottleTest, BlocksOnceTheLimitIsReached) {
  auto throttle = make(3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(throttle.blocked_for("10.0.0.1"), 0) << "after " << i << " failures";
    throttle.record_failure("10.0.0.1");
  }
  // Three failures used up the minute's allowance: the next attempt is refused.
  EXPECT_EQ(throttle.blocked_for("10.0.0.1"), 45);
  now_ += 20s;
  EXPECT_EQ(throttle.blocked_for("10.0.0.1"), 25);
  now_ += 24s;
  EXPECT_EQ(throttle.blocked_for("10.0.0.1"), 1);
}

TEST_F(FailureThrottleTest, RetryAfterCountsToTheEndOfTheMinute) {
  now_ = TimePoint{} + 600min;  // the first second of a minute
  auto throttle = make(1);
  throttle.record_failure("a");
  EXPECT_EQ(throttle.blocked_for("a"), 60);
  now_ += 59s + 999ms;
  EXPECT_EQ(throttle.blocked_for("a"), 1);
}

TEST_F(FailureThrottleTest, ResetsWhenTheNextMinuteStarts) {
  auto throttle = make(2);
  throttle.record_failure("a");
  throttle.record_failure("a");
  ASSERT_GT(throttle.blocked_for("a"), 0);
  now_ += 45s;  // 600min + 60s: a new minute
  EXPECT_EQ(throttle.blocked_for("a"), 0);
  // The count starts afresh too.
  throttle.record_failure("a");
  EXPECT_EQ(throttle.blocked_for("a"), 0);
  throttle.record_failure("a");
  EXPECT_EQ(throttle.blocked_for("a"), 60);
}

TEST_F(FailureThrottleTest, AddressesAreCountedApart) {
  auto throttle = make(2);
  throttle.record_failure("10.0.0.1");
  throttle.record_failure("10.0.0.1");
  throttle.record_failure("10.0.0.2");
  EXPECT_GT(throttle.blocked_for("10.0.0.1"), 0);
  EXPECT_EQ(throttle.blocked_for("10.0.0.2"), 0);
  EXPECT_EQ(throttle.blocked_for("10.0.0.3"), 0);
}

TEST_F(FailureThrottleTest, ZeroLimitDisablesThrottling) {
  auto throttle = make(0);
  for (int i = 0; i < 1000; ++i) throttle.record_failure("a");
  EXPECT_EQ(throttle.blocked_for("a"), 0);
}

TEST_F(FailureThrottleTest, AFloodOfDistinctAddressesStaysCheap) {
  auto throttle = make(2);
  throttle.record_failure("early");
  const auto start = std::chrono::steady_clock::now();
  // More distinct addresses in one minute than the table holds: each failure must stay O(1)
  // (a sweep per failure would take minutes here).
  for (int i = 0; i < 150'000; ++i) throttle.record_failure("addr" + std::to_string(i));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  // An address counted before the flood is still counted.
  throttle.record_failure("early");
  EXPECT_GT(throttle.blocked_for("early"), 0);
  now_ += 1min;  // the old windows are swept when room is needed
  for (int i = 0; i < 1000; ++i) throttle.record_failure("flood" + std::to_string(i));
  throttle.record_failure("x");
  EXPECT_EQ(throttle.blocked_for("x"), 0);
  throttle.record_failure("x");
  EXPECT_GT(throttle.blocked_for("x"), 0);
  EXPECT_EQ(throttle.blocked_for("early"), 0);
}
