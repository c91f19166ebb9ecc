#pragma once
// When and how long to wait before retrying an upstream call: exponential backoff with full
// jitter, honouring Retry-After (seconds or an HTTP date) capped by UPSTREAM_RETRY_MAX_WAIT_MS.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace agw::providers {

// Statuses worth another attempt: 429, 500, 502, 503, 504.
bool is_retryable_status(int status) noexcept;

// Retry-After as a wait from `now`: "120" or "Wed, 21 Oct 2015 07:28:00 GMT". nullopt when absent
// or unparsable; negative waits become zero.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now);

struct RetryPolicy {
  int max_retries = 2;
  std::chrono::milliseconds base{250};
  std::chrono::milliseconds max_wait{20'000};

  // The wait before retry number `retry` (1-based): uniform in [0, min(max_wait, base·2^(retry-1))]
  // using `unit_random` in [0, 1); a Retry-After wins (capped by max_wait).
  std::chrono::milliseconds wait_before(int retry, double unit_random,
                                        std::optional<std::chrono::milliseconds> retry_after) const;
};

}  // namespace agw::providers
