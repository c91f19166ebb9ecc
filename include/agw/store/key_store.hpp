#pragma once
// Storage of client keys. Implementations: PostgreSQL (backends/pg), SQLite later.
// Every method is awaited from the event loop and runs the blocking work elsewhere.
// Methods throw store::StoreUnavailable when the database cannot answer in time; expected
// outcomes (no such key) are values.
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "agw/auth/key_record.hpp"
#include "agw/core/task.hpp"

namespace agw::store {

class StoreUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class KeyStore {
 public:
  virtual ~KeyStore() = default;

  using KeyPtr = std::shared_ptr<const auth::KeyRecord>;  // null: no such key

  virtual Task<KeyPtr> find_by_id(std::string id) = 0;
  // Legacy keys: found by the hash of the whole key.
  virtual Task<KeyPtr> find_legacy(std::string key_hash) = 0;
  // Inserts a new key; throws std::invalid_argument when the id or legacy hash exists.
  virtual Task<void> insert(auth::KeyRecord record) = 0;
  virtual Task<std::vector<auth::KeyRecord>> list() = 0;
  // Marks the key revoked at `now`; false when no such key. Idempotent.
  virtual Task<bool> revoke(std::string id, std::int64_t now) = 0;
  // Batched last-used times: (id, Unix seconds); later times win.
  virtual Task<void> touch(std::vector<std::pair<std::string, std::int64_t>> last_used) = 0;
};

// A cheap liveness check of a backend, for /readyz.
class HealthProbe {
 public:
  virtual ~HealthProbe() = default;
  virtual std::string_view name() const noexcept = 0;
  // Throws when the backend does not answer.
  virtual Task<void> ping() = 0;
};

}  // namespace agw::store
