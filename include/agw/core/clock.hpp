#pragma once
#include <chrono>
#include <cstdint>

namespace agw::core {

// Wall-clock time for the values clients see (created, created_at). Injected so tests can pin it.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t unix_seconds() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t unix_seconds() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(std::int64_t seconds) : seconds_(seconds) {}
  std::int64_t unix_seconds() const override { return seconds_; }

 private:
  std::int64_t seconds_;
};

}  // namespace agw::core
