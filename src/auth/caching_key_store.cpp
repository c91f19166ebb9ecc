#include "agw/auth/caching_key_store.hpp"

namespace agw::auth {

CachingKeyStore::CachingKeyStore(store::KeyStore& inner, std::chrono::milliseconds ttl,
                                 std::chrono::milliseconds negative_ttl, Now now,
                                 std::size_t capacity)
    : inner_(inner),
      ttl_(ttl),
      negative_ttl_(negative_ttl),
      now_(std::move(now)),
      shard_capacity_(std::max<std::size_t>(1, capacity / 16)) {}

CachingKeyStore::Shard& CachingKeyStore::shard_for(const std::string& cache_key) {
  return shards_[std::hash<std::string>{}(cache_key) % shards_.size()];
}

std::optional<store::KeyStore::KeyPtr> CachingKeyStore::lookup(const std::string& cache_key) {
  Shard& shard = shard_for(cache_key);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(cache_key);
  if (it == shard.entries.end()) return std::nullopt;
  if (it->second.expires <= now_()) {
    shard.entries.erase(it);
    return std::nullopt;
  }
  return it->second.value;
}

void CachingKeyStore::remember(const std::string& cache_key, KeyPtr value) {
  const auto expires = now_() + (value ? ttl_ : negative_ttl_);
  if (expires <= now_()) return;  // a zero TTL disables caching
  Shard& shard = shard_for(cache_key);
  std::lock_guard lock(shard.mutex);
  if (shard.entries.size() >= shard_capacity_) {
    const auto now = now_();
    std::erase_if(shard.entries, [now](const auto& e) { return e.second.expires <= now; });
    // Still full of live entries (a flood of distinct keys): start the shard afresh rather
    // than grow without bound.
    if (shard.entries.size() >= shard_capacity_) shard.entries.clear();
  }
  shard.entries.insert_or_assign(
      cache_key, Entry{std::move(value), expires});
}

Task<store::KeyStore::KeyPtr> CachingKeyStore::find_by_id(std::string id) {
  std::string cache_key = "i:" + id;
  if (auto hit = lookup(cache_key)) co_return *hit;
  auto found = co_await inner_.find_by_id(std::move(id));
  remember(cache_key, found);
  co_return found;
}

Task<store::KeyStore::KeyPtr> CachingKeyStore::find_legacy(std::string key_hash) {
  std::string cache_key = "h:" + key_hash;
  if (auto hit = lookup(cache_key)) co_return *hit;
  auto found = co_await inner_.find_legacy(std::move(key_hash));
  remember(cache_key, found);
  co_return found;
}

Task<bool> CachingKeyStore::revoke(std::string id, std::int64_t now) {
  const std::string cache_key = "i:" + id;
  const bool revoked = co_await inner_.revoke(std::move(id), now);
  Shard& shard = shard_for(cache_key);
  std::lock_guard lock(shard.mutex);
  shard.entries.erase(cache_key);
  co_return revoked;
}

}  // namespace agw::auth
