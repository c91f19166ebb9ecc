#pragma once
// An in-memory KeyStore for unit tests: counts the lookups that reach it and can be switched to
// fail like an unreachable database.
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "agw/store/key_store.hpp"

namespace agw::test {

class FakeKeyStore final : public store::KeyStore {
 public:
  std::map<std::string, auth::KeyRecord> keys;  // by id
  bool unavailable = false;                      // every call throws StoreUnavailable
  int find_calls = 0;
  int legacy_calls = 0;
  std::vector<std::vector<std::pair<std::string, std::int64_t>>> touches;

  void add(auth::KeyRecord record) {
    std::string id = record.id;
    keys.insert_or_assign(std::move(id), std::move(record));
  }

  Task<KeyPtr> find_by_id(std::string id) override {
    ++find_calls;
    check();
    const auto it = keys.find(id);
    if (it == keys.end() || it->second.legacy) co_return nullptr;
    co_return std::make_shared<const auth::KeyRecord>(it->second);
  }

  Task<KeyPtr> find_legacy(std::string key_hash) override {
    ++legacy_calls;
    check();
    for (const auto& [id, record] : keys) {
      if (record.legacy && record.secret_hash == key_hash) {
        co_return std::make_shared<const auth::KeyRecord>(record);
      }
    }
    co_return nullptr;
  }

  Task<void> insert(auth::KeyRecord record) override {
    check();
    add(std::move(record));
    co_return;
  }

  Task<std::vector<auth::KeyRecord>> list() override {
    check();
    std::vector<auth::KeyRecord> out;
    for (const auto& [id, record] : keys) out.push_back(record);
    co_return out;
  }

  Task<bool> revoke(std::string id, std::int64_t now) override {
    check();
    const auto it = keys.find(id);
    if (it == keys.end()) co_return false;
    if (!it->second.revoked_at) it->second.revoked_at = now;
    co_return true;
  }

  Task<void> touch(std::vector<std::pair<std::string, std::int64_t>> last_used) override {
    check();
    touches.push_back(std::move(last_used));
    co_return;
  }

 private:
  void check() const {
    if (unavailable) throw store::StoreUnavailable("fake store: database unreachable");
  }
};

}  // namespace agw::test
