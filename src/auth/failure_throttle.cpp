#include "agw/auth/failure_throttle.hpp"

namespace agw::auth {

FailureThrottle::FailureThrottle(std::int64_t limit_per_minute, Now now)
    : limit_(limit_per_minute), now_(std::move(now)) {}

std::int64_t FailureThrottle::minute() const {
  return std::chrono::duration_cast<std::chrono::minutes>(now_().time_since_epoch()).count();
}

std::int64_t FailureThrottle::blocked_for(std::string_view address) {
  if (limit_ <= 0) return 0;
  std::lock_guard lock(mutex_);
  if (windows_.empty()) return 0;  // the usual case: no failures this minute, no key to build
  const auto it = windows_.find(std::string(address));
  if (it == windows_.end()) return 0;
  const auto current = minute();
  if (it->second.minute != current || it->second.failures < limit_) return 0;
  const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(
                           now_().time_since_epoch())
                           .count() %
                       60;
  return 60 - elapsed;
}

void FailureThrottle::record_failure(std::string_view address) {
  if (limit_ <= 0) return;
  const auto current = minute();
  std::lock_guard lock(mutex_);
  auto it = windows_.find(std::string(address));
  if (it == windows_.end()) {
    if (windows_.size() >= kMaxAddresses && pruned_minute_ != current) {
      pruned_minute_ = current;
      std::erase_if(windows_, [current](const auto& w) { return w.second.minute != current; });
    }
    // Still full of this minute's addresses (a flood of distinct ones): a newcomer goes
    // uncounted until the next sweep, rather than every failure paying for a sweep.
    if (windows_.size() >= kMaxAddresses) return;
    it = windows_.emplace(std::string(address), Window{current, 0}).first;
  }
  Window& window = it->second;
  if (window.minute != current) window = Window{current, 0};
  ++window.failures;
}

}  // namespace agw::auth
