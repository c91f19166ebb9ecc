#pragma once
// Throttles failed authentications per client address: past AUTH_FAIL_LIMIT failures within a
// clock minute, the address gets 429 until that minute ends. In-process and thread-safe.
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace agw::auth {

class FailureThrottle {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  explicit FailureThrottle(std::int64_t limit_per_minute, Now now = std::chrono::steady_clock::now);

  // Seconds until the address may try again, or 0 when it is not throttled.
  std::int64_t blocked_for(std::string_view address);
  void record_failure(std::string_view address);

 private:
  std::int64_t minute() const;

  struct Window {
    std::int64_t minute = 0;
    std::int64_t failures = 0;
  };
  // The most addresses tracked at once: memory stays bounded under a flood of distinct ones.
  static constexpr std::size_t kMaxAddresses = 100'000;

  std::int64_t limit_;
  Now now_;
  std::mutex mutex_;
  std::unordered_map<std::string, Window> windows_;
  std::int64_t pruned_minute_ = -1;  // stale windows are swept at most once a minute
};

}  // namespace agw::auth
