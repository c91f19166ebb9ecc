// Authenticator with a fake store and clock: which header counts, what fails with which error,
// the throttle, and the batched last-used times.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "agw/auth/authenticator.hpp"
#include "agw/auth/key_format.hpp"
#include "agw/core/block_on.hpp"
#include "agw/core/error.hpp"
#include "support/fake_key_store.hpp"

using namespace agw;
using agw::core::ApiError;
using agw::core::ErrorCode;
using agw::test::FakeKeyStore;

namespace {

class Headers final : public http::HeaderSource {
 public:
  Headers(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}
  std::string_view get(std::string_view name) const override {
    for (const auto& [k, v] : fields_) {
      if (k.size() == name.size() &&
          std::equal(k.begin(), k.end(), name.begin(), [](char a, char b) {
            return std::tolower(static_cast<unsigned char>(a)) ==
                   std::tolower(static_cast<unsigned char>(b));
          })) {
        return v;
      }
    }
    return {};
  }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

class ManualClock final : public core::Clock {
 public:
  std::int64_t now = 1'700'000'000;
  std::int64_t unix_seconds() const override { return now; }
};

struct IssuedKey {
  std::string id;
  std::string key;
};

class AuthenticatorTest : public ::testing::Test {
 protected:
  IssuedKey issue(std::optional<std::int64_t> expires_at = std::nullopt) {
    const auto generated = auth::generate_key();
    auth::KeyRecord record;
    record.id = generated.id;
    record.name = "test";
    record.secret_hash = generated.secret_hash;
    record.created_at = clock_.now - 100;
    record.expires_at = expires_at;
    store_.add(record);
    return {generated.id, generated.key};
  }

  store::KeyStore::KeyPtr authenticate(std::vector<std::pair<std::string, std::string>> fields,
                                       std::string_view address = "10.0.0.1") {
    Headers headers(std::move(fields));
    http::Request request;
    request.headers = &headers;
    request.client_address = address;
    return core::block_on(authenticator_.authenticate(request));
  }

  std::optional<ApiError> failure(std::vector<std::pair<std::string, std::string>> fields,
                                  std::string_view address = "10.0.0.1") {
    try {
      authenticate(std::move(fields), address);
    } catch (const ApiError& e) {
      return e;
    }
    return std::nullopt;
  }

  FakeKeyStore store_;
  ManualClock clock_;
  auth::FailureThrottle throttle_{3};
  auth::Authenticator authenticator_{store_, clock_, throttle_};
};

std::string presented(std::vector<std::pair<std::string, std::string>> fields) {
  Headers headers(std::move(fields));
  http::Request request;
  request.headers = &headers;
  return std::string(auth::presented_key(request));
}

}  // namespace

TEST(PresentedKey, XApiKeyWinsOverBearer) {
  EXPECT_EQ(presented({{"Authorization", "Bearer from-bearer"}, {"X-API-Key", "from-header"}}),
            "from-header");
  EXPECT_EQ(presented({{"Authorization", "Bearer from-bearer"}}), "from-bearer");
  EXPECT_EQ(presented({{"X-API-Key", "from-header"}}), "from-header");
  // An empty X-API-Key does not hide the Bearer value.
  EXPECT_EQ(presented({{"X-API-Key", ""}, {"Authorization", "Bearer b"}}), "b");
}

TEST(PresentedKey, BearerSchemeIsCaseInsensitive) {
  EXPECT_EQ(presented({{"Authorization", "bearer k1"}}), "k1");
  EXPECT_EQ(presented({{"Authorization", "BEARER k2"}}), "k2");
  EXPECT_EQ(presented({{"Authorization", "BeArEr   k3"}}), "k3");
}

TEST(PresentedKey, OtherSchemesAndEmptyHeadersPresentNothing) {
  EXPECT_EQ(presented({}), "");
  EXPECT_EQ(presented({{"Authorization", "Basic dXNlcjpwYXNz"}}), "");
  EXPECT_EQ(presented({{"Authorization", "Bearer"}}), "");
  EXPECT_EQ(presented({{"Authorization", "Bearerxyz"}}), "");
  EXPECT_EQ(presented({{"Authorization", "Bearer "}}), "");
}

TEST_F(AuthenticatorTest, AcceptsAValidKeyFromEitherHeader) {
  const auto issued = issue();
  auto by_header = authenticate({{"X-API-Key", issued.key}});
  ASSERT_TRUE(by_header);
  EXPECT_EQ(by_header->id, issued.id);
  auto by_bearer = authenticate({{"Authorization", "bearer " + issued.key}});
  ASSERT_TRUE(by_bearer);
  EXPECT_EQ(by_bearer->id, issued.id);
}

TEST_F(AuthenticatorTest, ValidXApiKeyWinsOverAGarbageBearer) {
  const auto issued = issue();
  EXPECT_TRUE(authenticate({{"Authorization", "Bearer garbage"}, {"X-API-Key", issued.key}}));
  const auto error =
      failure({{"Authorization", "Bearer " + issued.key}, {"X-API-Key", "agw_garbage.garbage"}});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::invalid_api_key);
}

TEST_F(AuthenticatorTest, MissingMalformedAndUnknownKeysAre401) {
  const auto issued = issue();
  const std::string wrong_secret = issued.key.substr(0, issued.key.size() - 1) +
                                   (issued.key.back() == 'A' ? "B" : "A");
  const std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {},
      {{"X-API-Key", "agw_"}},
      {{"X-API-Key", "agw_x."}},
      {{"X-API-Key", std::string(10 * 1024, 'k')}},
      {{"X-API-Key", "agw_" + issued.id + ".\xc3\xa9"}},
      {{"X-API-Key", "agw_unknownid00.secretsecretsecretsecretsecretsecretsecr"}},
      {{"X-API-Key", wrong_secret}},
      {{"X-API-Key", "a-legacy-key-nobody-imported"}},
  };
  int n = 0;
  for (const auto& fields : cases) {
    const std::string address = "10.1.1." + std::to_string(++n);  // apart from the throttle
    const auto error = failure(fields, address);
    ASSERT_TRUE(error) << (fields.empty() ? "" : fields[0].second.substr(0, 40));
    EXPECT_EQ(error->code(), ErrorCode::invalid_api_key);
    EXPECT_EQ(error->http_status(), 401);
    // The message never carries the secret (at most agw_<id>.***).
    const std::string secret = issued.key.substr(issued.key.find('.') + 1);
    EXPECT_EQ(std::string(error->what()).find(secret.substr(0, 20)), std::string::npos)
        << error->what();
  }
}

TEST_F(AuthenticatorTest, RevokedAndExpiredKeysAre401) {
  const auto revoked = issue();
  store_.keys[revoked.id].revoked_at = clock_.now - 1;
  auto error = failure({{"X-API-Key", revoked.key}});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::invalid_api_key);
  EXPECT_NE(std::string(error->what()).find("revoked"), std::string::npos) << error->what();

  const auto expiring = issue(clock_.now + 10);
  EXPECT_TRUE(authenticate({{"X-API-Key", expiring.key}}));
  clock_.now += 10;
  error = failure({{"X-API-Key", expiring.key}});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::invalid_api_key);
  EXPECT_NE(std::string(error->what()).find("expired"), std::string::npos) << error->what();
}

TEST_F(AuthenticatorTest, LegacyKeysAreFoundByTheHashOfTheWholeKey) {
  const std::string legacy_key = "old-style-key-0123456789";
  auth::KeyRecord record;
  record.id = auth::new_key_id();
  record.name = "legacy";
  record.secret_hash = auth::sha256_hex(legacy_key);
  record.legacy = true;
  store_.add(record);
  auto found = authenticate({{"Authorization", "Bearer " + legacy_key}});
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, record.id);
  EXPECT_EQ(store_.find_calls, 0);
  EXPECT_EQ(store_.legacy_calls, 1);
  // A legacy record is never matched through the new format's id.
  const auto error = failure({{"X-API-Key", "agw_" + record.id + "." + legacy_key}});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::invalid_api_key);
}

TEST_F(AuthenticatorTest, UnavailableStoreIsNotReady) {
  const auto issued = issue();
  store_.unavailable = true;
  const auto error = failure({{"X-API-Key", issued.key}});
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::not_ready);
  EXPECT_EQ(error->http_status(), 503);
  // An outage is not the client's failure: it does not count against its address.
  for (int i = 0; i < 5; ++i) failure({{"X-API-Key", issued.key}});
  store_.unavailable = false;
  EXPECT_TRUE(authenticate({{"X-API-Key", issued.key}}));
}

TEST_F(AuthenticatorTest, RepeatedFailuresFromOneAddressAreThrottled) {
  const auto issued = issue();
  for (int i = 0; i < 3; ++i) {
    const auto error = failure({{"X-API-Key", "agw_nosuchkey000.secret"}}, "10.9.9.9");
    ASSERT_TRUE(error);
    EXPECT_EQ(error->code(), ErrorCode::invalid_api_key);
  }
  // Over the limit: even a valid key from that address waits, with Retry-After.
  const auto error = failure({{"X-API-Key", issued.key}}, "10.9.9.9");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->code(), ErrorCode::rate_limit_exceeded);
  EXPECT_EQ(error->http_status(), 429);
  const auto& headers = error->headers();
  const auto retry = std::find_if(headers.begin(), headers.end(),
                                  [](const auto& h) { return h.first == "Retry-After"; });
  ASSERT_NE(retry, headers.end());
  const int seconds = std::stoi(retry->second);
  EXPECT_GE(seconds, 1);
  EXPECT_LE(seconds, 60);
  // Another address is unaffected.
  EXPECT_TRUE(authenticate({{"X-API-Key", issued.key}}, "10.9.9.8"));
}

TEST_F(AuthenticatorTest, SuccessesDoNotCountAsFailures) {
  const auto issued = issue();
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(authenticate({{"X-API-Key", issued.key}}));
}

TEST_F(AuthenticatorTest, LastUsedTimesAreBatched) {
  const auto a = issue();
  const auto b = issue();
  EXPECT_TRUE(authenticator_.take_last_used().empty());
  authenticate({{"X-API-Key", a.key}});
  clock_.now += 5;
  authenticate({{"X-API-Key", a.key}});
  authenticate({{"X-API-Key", b.key}});
  auto batch = authenticator_.take_last_used();
  std::sort(batch.begin(), batch.end());
  std::vector<std::pair<std::string, std::int64_t>> expected = {{a.id, clock_.now},
                                                                {b.id, clock_.now}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(batch, expected);  // one entry per key, the latest time
  EXPECT_TRUE(authenticator_.take_last_used().empty());
  EXPECT_EQ(store_.touches.size(), 0u);  // nothing written per request
}

TEST_F(AuthenticatorTest, RestoredBatchKeepsTheLaterTime) {
  const auto a = issue();
  const auto b = issue();
  authenticate({{"X-API-Key", a.key}});
  const auto failed_write = authenticator_.take_last_used();
  ASSERT_EQ(failed_write.size(), 1u);
  clock_.now += 7;
  authenticate({{"X-API-Key", a.key}});  // used again while the write was failing
  authenticator_.restore_last_used(failed_write);
  authenticator_.restore_last_used({{b.id, clock_.now - 50}});
  auto batch = authenticator_.take_last_used();
  std::sort(batch.begin(), batch.end());
  std::vector<std::pair<std::string, std::int64_t>> expected = {{a.id, clock_.now},
                                                                {b.id, clock_.now - 50}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(batch, expected);
}

TEST_F(AuthenticatorTest, FailedAuthenticationsAreNotRecordedAsUse) {
  const auto revoked = issue();
  store_.keys[revoked.id].revoked_at = clock_.now - 1;
  failure({{"X-API-Key", revoked.key}});
  failure({{"X-API-Key", "agw_" + revoked.id + ".wrong"}});
  EXPECT_TRUE(authenticator_.take_last_used().empty());
}
