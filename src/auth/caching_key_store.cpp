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

CachingKeyStore::Lookup CachingKeyStore::lookup(const std::string& cache_key) {
  Shard& shard = shard_for(cache_key);
  std::lock_guard lock(shard.mutex);
  const auto it = shard.entries.find(cache_key);
  if (it == shard.entries.end()) return {};
  Entry& entry = it->second;
  const auto now = now_();
  if (now < entry.expires) return {Lookup::Kind::fresh, entry.value};
  if (!entry.value || now >= entry.expires + kMaxStale) {
    shard.entries.erase(it);
    return {};
  }
  if (entry.refreshing) return {Lookup::Kind::stale, entry.value};
  entry.refreshing = true;
  return {Lookup::Kind::refresh, entry.value};
}

void CachingKeyStore::refresh_failed(const std::string& cache_key) {
  Shard& shard = shard_for(cache_key);
  std::lock_guard lock(shard.mutex);
  if (const auto it = shard.entries.find(cache_key); it != shard.entries.end()) {
    it->second.refreshing = false;
  }
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
  shard.entries.insert_or_assign(cache_key, Entry{std::move(value), expires, false});
}

Task<store::KeyStore::KeyPtr> CachingKeyStore::fetch_and_remember(std::string cache_key,
                                                                  KeyPtr fallback, Fetch fetch) {
  KeyPtr found;
  std::exception_ptr failure;
  try {
    found = co_await fetch();
  } catch (const store::StoreUnavailable&) {
    failure = std::current_exception();
  }
  if (failure) {
    refresh_failed(cache_key);
    if (fallback) co_return fallback;  // an expired entry, served through the outage
    std::rethrow_exception(failure);
  }
  remember(cache_key, found);
  co_return found;
}

// A hit costs a string and a shard lookup; the fetch (and its allocation) is built only on a miss.
Task<store::KeyStore::KeyPtr> CachingKeyStore::find_by_id(std::string id) {
  std::string cache_key = "i:" + id;
  Lookup hit = lookup(cache_key);
  if (hit.kind == Lookup::Kind::fresh || hit.kind == Lookup::Kind::stale) co_return hit.value;
  Fetch fetch = [this, id = std::move(id)] { return inner_.find_by_id(id); };
  co_return co_await fetch_and_remember(std::move(cache_key), std::move(hit.value),
                                        std::move(fetch));
}

Task<store::KeyStore::KeyPtr> CachingKeyStore::find_legacy(std::string key_hash) {
  std::string cache_key = "h:" + key_hash;
  Lookup hit = lookup(cache_key);
  if (hit.kind == Lookup::Kind::fresh || hit.kind == Lookup::Kind::stale) co_return hit.value;
  Fetch fetch = [this, key_hash = std::move(key_hash)] { return inner_.find_legacy(key_hash); };
  co_return co_await fetch_and_remember(std::move(cache_key), std::move(hit.value),
                                        std::move(fetch));
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
