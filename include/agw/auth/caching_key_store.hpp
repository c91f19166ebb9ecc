#pragma once
// A KeyStore decorator that remembers lookups: found keys for KEY_CACHE_TTL_S (so a hot key
// costs no database round trip, and a revocation is seen within the TTL), unknown ids and
// hashes for a shorter negative TTL (so floods of bad keys don't reach the database).
// When a found key's entry expires, one caller refreshes it while the others keep using the
// expired entry (no stampede of lookups at every expiry); if the database cannot answer, the
// expired entry is served for up to kMaxStale more, so a brief outage does not lock out keys
// that were valid moments ago.
// Thread-safe: shards guarded by mutexes, shared by every IO thread.
#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include "agw/store/key_store.hpp"

namespace agw::auth {

class CachingKeyStore final : public store::KeyStore {
 public:
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  CachingKeyStore(store::KeyStore& inner, std::chrono::milliseconds ttl,
                  std::chrono::milliseconds negative_ttl, Now now = std::chrono::steady_clock::now,
                  std::size_t capacity = 100'000);

  Task<KeyPtr> find_by_id(std::string id) override;
  Task<KeyPtr> find_legacy(std::string key_hash) override;
  Task<void> insert(KeyRecord record) override { return inner_.insert(std::move(record)); }
  Task<std::vector<KeyRecord>> list() override { return inner_.list(); }
  Task<bool> revoke(std::string id, std::int64_t now) override;
  Task<void> touch(std::vector<std::pair<std::string, std::int64_t>> last_used) override {
    return inner_.touch(std::move(last_used));
  }

 private:
  static constexpr std::chrono::minutes kMaxStale{5};

  struct Entry {
    KeyPtr value;  // null: known to be absent
    std::chrono::steady_clock::time_point expires;
    bool refreshing = false;
  };
  struct Lookup {
    enum class Kind { fresh, stale, refresh, miss } kind = Kind::miss;
    KeyPtr value;  // fresh, stale (serve it), refresh (serve it if the refresh fails)
  };
  using Fetch = std::function<Task<KeyPtr>()>;
  struct Shard {
    std::mutex mutex;
    std::unordered_map<std::string, Entry> entries;
  };

  Shard& shard_for(const std::string& cache_key);
  // Looks the key up in the store and caches the answer; `fallback` (an expired entry whose
  // refresh this caller claimed, or null) is served when the store cannot answer.
  Task<KeyPtr> fetch_and_remember(std::string cache_key, KeyPtr fallback, Fetch fetch);
  Lookup lookup(const std::string& cache_key);  // claims the refresh of an expired entry
  void remember(const std::string& cache_key, KeyPtr value);
  void refresh_failed(const std::string& cache_key);

  store::KeyStore& inner_;
  std::chrono::milliseconds ttl_;
  std::chrono::milliseconds negative_ttl_;
  Now now_;
  std::size_t shard_capacity_;
  std::array<Shard, 16> shards_;
};

}  // namespace agw::auth
