// CachingKeyStore over a fake store and a fake clock: positive and negative TTLs, revocation,
// the capacity bound.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "agw/auth/caching_key_store.hpp"
#include "agw/auth/key_format.hpp"
#include "agw/core/block_on.hpp"
#include "support/fake_key_store.hpp"

using agw::auth::CachingKeyStore;
using agw::auth::KeyRecord;
using agw::core::block_on;
using agw::test::FakeKeyStore;
using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

namespace {

KeyRecord key(std::string id, bool legacy = false) {
  KeyRecord r;
  r.id = std::move(id);
  r.name = "k";
  r.secret_hash = agw::auth::sha256_hex(r.id);
  r.legacy = legacy;
  r.created_at = 1000;
  return r;
}

class CachingKeyStoreTest : public ::testing::Test {
 protected:
  CachingKeyStore make(std::chrono::milliseconds ttl, std::chrono::milliseconds negative_ttl,
                       std::size_t capacity = 100'000) {
    return CachingKeyStore(inner_, ttl, negative_ttl, [this] { return now_; }, capacity);
  }

  FakeKeyStore inner_;
  TimePoint now_ = TimePoint{} + 1000h;
};

}  // namespace

TEST_F(CachingKeyStoreTest, FoundKeyIsServedFromTheCacheWithinTheTtl) {
  inner_.add(key("abc"));
  auto cache = make(10s, 2s);
  auto first = block_on(cache.find_by_id("abc"));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->id, "abc");
  now_ += 9999ms;
  inner_.unavailable = true;  // a hit never reaches the store
  auto second = block_on(cache.find_by_id("abc"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->id, "abc");
  EXPECT_EQ(inner_.find_calls, 1);
}

TEST_F(CachingKeyStoreTest, ExpiredEntryIsLookedUpAgain) {
  inner_.add(key("abc"));
  auto cache = make(10s, 2s);
  block_on(cache.find_by_id("abc"));
  now_ += 10s;
  // A change made behind the cache's back (another instance revoked it) shows after the TTL.
  inner_.keys["abc"].revoked_at = 5;
  auto again = block_on(cache.find_by_id("abc"));
  EXPECT_EQ(inner_.find_calls, 2);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->revoked_at);
}

TEST_F(CachingKeyStoreTest, UnknownIdsUseTheShorterNegativeTtl) {
  auto cache = make(10s, 2s);
  EXPECT_FALSE(block_on(cache.find_by_id("nope")));
  now_ += 1999ms;
  EXPECT_FALSE(block_on(cache.find_by_id("nope")));
  EXPECT_EQ(inner_.find_calls, 1);
  now_ += 1ms;
  inner_.add(key("nope"));  // created meanwhile: seen once the negative entry expires
  EXPECT_TRUE(block_on(cache.find_by_id("nope")));
  EXPECT_EQ(inner_.find_calls, 2);
}

TEST_F(CachingKeyStoreTest, LegacyLookupsAreCachedByHash) {
  KeyRecord legacy = key("leg", true);
  legacy.secret_hash = agw::auth::sha256_hex("the-whole-legacy-key");
  inner_.add(legacy);
  auto cache = make(10s, 2s);
  const std::string hash = agw::auth::sha256_hex("the-whole-legacy-key");
  EXPECT_TRUE(block_on(cache.find_legacy(hash)));
  EXPECT_TRUE(block_on(cache.find_legacy(hash)));
  EXPECT_EQ(inner_.legacy_calls, 1);
  EXPECT_FALSE(block_on(cache.find_legacy(agw::auth::sha256_hex("other"))));
  EXPECT_FALSE(block_on(cache.find_legacy(agw::auth::sha256_hex("other"))));
  EXPECT_EQ(inner_.legacy_calls, 2);
  // An id lookup and a hash lookup never share an entry.
  EXPECT_FALSE(block_on(cache.find_by_id(hash)));
}

TEST_F(CachingKeyStoreTest, RevokeThroughTheCacheInvalidatesTheEntry) {
  inner_.add(key("abc"));
  auto cache = make(10s, 2s);
  ASSERT_FALSE(block_on(cache.find_by_id("abc"))->revoked_at);
  EXPECT_TRUE(block_on(cache.revoke("abc", 1234)));
  auto after = block_on(cache.find_by_id("abc"));
  EXPECT_EQ(inner_.find_calls, 2);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->revoked_at, 1234);
  EXPECT_FALSE(block_on(cache.revoke("unknown", 1234)));
}

TEST_F(CachingKeyStoreTest, ZeroTtlDisablesCaching) {
  inner_.add(key("abc"));
  auto cache = make(0ms, 0ms);
  block_on(cache.find_by_id("abc"));
  block_on(cache.find_by_id("abc"));
  block_on(cache.find_by_id("zzz"));
  block_on(cache.find_by_id("zzz"));
  EXPECT_EQ(inner_.find_calls, 4);
}

TEST_F(CachingKeyStoreTest, FailuresAreNotCached) {
  inner_.add(key("abc"));
  auto cache = make(10s, 2s);
  inner_.unavailable = true;
  EXPECT_THROW(block_on(cache.find_by_id("abc")), agw::store::StoreUnavailable);
  inner_.unavailable = false;
  EXPECT_TRUE(block_on(cache.find_by_id("abc")));
  EXPECT_EQ(inner_.find_calls, 2);
}

TEST_F(CachingKeyStoreTest, HoldsAtMostItsCapacity) {
  constexpr std::size_t kCapacity = 160;
  constexpr int kKeys = 2000;
  auto cache = make(1h, 1h, kCapacity);
  for (int i = 0; i < kKeys; ++i) block_on(cache.find_by_id("id" + std::to_string(i)));
  ASSERT_EQ(inner_.find_calls, kKeys);
  // A second pass hits only what is still cached: never more than the capacity.
  for (int i = 0; i < kKeys; ++i) block_on(cache.find_by_id("id" + std::to_string(i)));
  const int hits = 2 * kKeys - inner_.find_calls;
  EXPECT_LE(hits, static_cast<int>(kCapacity));
  // And the cache still caches: a hot key looked up again at once is a hit.
  const int before = inner_.find_calls;
  block_on(cache.find_by_id("hot"));
  block_on(cache.find_by_id("hot"));
  EXPECT_EQ(inner_.find_calls, before + 1);
}

TEST_F(CachingKeyStoreTest, WritesGoStraightThrough) {
  auto cache = make(10s, 2s);
  block_on(cache.insert(key("new")));
  EXPECT_TRUE(inner_.keys.contains("new"));
  EXPECT_EQ(block_on(cache.list()).size(), 1u);
  block_on(cache.touch({{"new", 77}}));
  ASSERT_EQ(inner_.touches.size(), 1u);
  EXPECT_EQ(inner_.touches[0][0].second, 77);
}

TEST_F(CachingKeyStoreTest, AnExpiredKeyIsServedWhileTheDatabaseCannotAnswerForALimitedTime) {
  inner_.add(key("abc"));
  auto cache = make(10s, 2s);
  ASSERT_TRUE(block_on(cache.find_by_id("abc")));
  inner_.unavailable = true;
  now_ += 11s;  // expired: the refresh fails, the last good record is served
  auto stale = block_on(cache.find_by_id("abc"));
  ASSERT_TRUE(stale);
  EXPECT_EQ(stale->id, "abc");
  EXPECT_EQ(inner_.find_calls, 2);
  now_ += 6min;  // past the stale limit: the outage shows
  EXPECT_THROW(block_on(cache.find_by_id("abc")), agw::store::StoreUnavailable);
}

TEST_F(CachingKeyStoreTest, AnUnknownKeyIsNeverServedStale) {
  auto cache = make(10s, 2s);
  EXPECT_FALSE(block_on(cache.find_by_id("nope")));
  inner_.unavailable = true;
  now_ += 3s;
  EXPECT_THROW(block_on(cache.find_by_id("nope")), agw::store::StoreUnavailable);
}

TEST_F(CachingKeyStoreTest, ARefreshedEntryIsFreshAgain) {
  inner_.add(key("abc"));
  auto cache = make(10s, 2s);
  ASSERT_TRUE(block_on(cache.find_by_id("abc")));
  now_ += 11s;
  ASSERT_TRUE(block_on(cache.find_by_id("abc")));  // the refresh
  ASSERT_TRUE(block_on(cache.find_by_id("abc")));  // fresh again: no lookup
  EXPECT_EQ(inner_.find_calls, 2);
}
