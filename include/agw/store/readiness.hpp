#pragma once
// Readiness from a cached probe of each backend: a background loop pings them every interval,
// so /readyz answers from memory and never queries a backend per call.
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "agw/core/task.hpp"
#include "agw/store/key_store.hpp"

namespace agw::store {

struct BackendStatus {
  std::string name;
  bool ok = false;
  std::string detail;  // "ok" or why it failed; never a connection string
};

class ReadinessMonitor {
 public:
  explicit ReadinessMonitor(std::chrono::milliseconds interval) : interval_(interval) {}

  void add(HealthProbe& probe);
  // Probes every backend once now, then every interval until the executor stops.
  Task<void> run();
  // Probes once (also used at start-up so the first /readyz is already meaningful).
  Task<void> probe_all();
  std::vector<BackendStatus> snapshot() const;

 private:
  std::chrono::milliseconds interval_;
  std::vector<HealthProbe*> probes_;
  mutable std::mutex mutex_;
  std::vector<BackendStatus> statuses_;
  bool probed_ = false;
};

}  // namespace agw::store
