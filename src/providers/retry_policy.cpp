#include "agw/providers/retry_policy.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace agw::providers {

bool is_retryable_status(int status) noexcept {
  return status == 429 || status == 500 || status == 502 || status == 503 || status == 504;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    double seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) return std::nullopt;
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::min(seconds, 1e9) * 1000));
  }
  std::tm tm{};
  const std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(at - now);
  return std::max(wait, std::chrono::milliseconds(0));
}

std::chrono::milliseconds RetryPolicy::wait_before(
    int retry, double unit_random, std::optional<std::chrono::milliseconds> retry_after) const {
  if (retry_after) return std::min(*retry_after, max_wait);
  const int doublings = std::clamp(retry - 1, 0, 30);
  const auto ceiling = std::min<std::int64_t>(max_wait.count(), base.count() << doublings);
  return std::chrono::milliseconds(
      static_cast<std::int64_t>(std::clamp(unit_random, 0.0, 1.0) * static_cast<double>(ceiling)));
}

}  // namespace agw::providers
