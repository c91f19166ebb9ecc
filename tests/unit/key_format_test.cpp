// Client key format (SPEC §3): generation, parsing of what clients present, redaction.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "agw/auth/key_format.hpp"
#include "agw/auth/key_record.hpp"

using namespace agw::auth;

namespace {

std::string secret_of(const std::string& key) { return key.substr(key.find('.') + 1); }

}  // namespace

TEST(KeyFormat, GeneratedKeyHasIdAndSecretOfTheDocumentedShape) {
  static const std::regex kShape(R"(^agw_([0-9A-Za-z]{12})\.([A-Za-z0-9_-]{43})$)");
  const GeneratedKey generated = generate_key();
  std::smatch m;
  ASSERT_TRUE(std::regex_match(generated.key, m, kShape)) << generated.key;
  EXPECT_EQ(m[1].str(), generated.id);
  // Only the hash of the secret is what the store keeps.
  EXPECT_EQ(generated.secret_hash, sha256_hex(m[2].str()));
  EXPECT_EQ(generated.secret_hash.size(), 64u);
  EXPECT_EQ(generated.secret_hash.find(m[2].str()), std::string::npos);
}

TEST(KeyFormat, GeneratedKeysAreDistinct) {
  std::set<std::string> ids, secrets;
  for (int i = 0; i < 200; ++i) {
    const auto generated = generate_key();
    ids.insert(generated.id);
    secrets.insert(secret_of(generated.key));
  }
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(secrets.size(), 200u);
}

TEST(KeyFormat, GeneratedIdsUseAllOfBase62) {
  std::set<char> seen;
  for (int i = 0; i < 200; ++i) {
    for (char c : new_key_id()) seen.insert(c);
  }
  // 2400 uniformly drawn characters cover all 62 symbols with overwhelming probability.
  EXPECT_EQ(seen.size(), 62u);
}

TEST(KeyFormat, ParsesAGeneratedKeyAsModern) {
  const auto generated = generate_key();
  const auto parsed = parse_key(generated.key);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, ParsedKey::Kind::modern);
  EXPECT_EQ(parsed->id, generated.id);
  EXPECT_EQ(parsed->secret, secret_of(generated.key));
}

TEST(KeyFormat, KeysWithoutADotAreLegacy) {
  const std::string key = "sk-legacy-0123456789abcdefXYZ";
  const auto parsed = parse_key(key);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->kind, ParsedKey::Kind::legacy);
  EXPECT_TRUE(parsed->id.empty());
  EXPECT_EQ(parsed->secret, key);  // looked up by the hash of the whole key
  // A legacy key may carry the agw_ prefix too, as long as it has no dot.
  const auto prefixed = parse_key("agw_0123456789abcdefghij");
  ASSERT_TRUE(prefixed);
  EXPECT_EQ(prefixed->kind, ParsedKey::Kind::legacy);
}

TEST(KeyFormat, RejectsTextThatCannotBeAKey) {
  const std::string valid = generate_key().key;
  const std::vector<std::string> malformed = {
      "",
      "agw_",
      "agw_.",
      "agw_x.",
      "agw_.secret",
      "agw_ab-c.secret",           // id outside base62
      "xyz_abc.secret",            // a dot, but not the agw_ prefix
      "short",                     // too short to be a legacy key
      std::string(10 * 1024, 'a'),  // 10 KB
      std::string(kMaxKeyLength + 1, 'a'),
      valid + "\xc3\xa9",          // non-ASCII (UTF-8 é)
      "agw_abc.s\xffsecret",
      valid.substr(0, 10) + "\r\n" + valid.substr(10),
      valid.substr(0, 10) + std::string(1, '\0') + valid.substr(10),
      valid + "\t",
      valid + " ",
      " " + valid,
      "agw_abc.sec ret",
      std::string("\x7f") + valid,
  };
  for (const auto& text : malformed) {
    EXPECT_FALSE(parse_key(text)) << "accepted: " << text.substr(0, 60);
  }
  EXPECT_TRUE(parse_key(std::string(kMaxKeyLength, 'a')));  // the longest legacy key
}

TEST(KeyFormat, RedactionNeverShowsTheSecret) {
  const auto generated = generate_key();
  const std::string secret = secret_of(generated.key);
  const std::string redacted = redact_key(generated.key);
  EXPECT_EQ(redacted, "agw_" + generated.id + ".***");
  EXPECT_EQ(redacted.find(secret), std::string::npos);
  EXPECT_EQ(redact_key("sk-legacy-0123456789abcdefXYZ"), "***");
  EXPECT_EQ(redact_key(""), "***");
  EXPECT_EQ(redact_key("agw_x."), "***");
  EXPECT_EQ(redact_key(std::string(10 * 1024, 'a')), "***");
  const std::string with_control = generated.key + "\n";
  EXPECT_EQ(redact_key(with_control).find(secret), std::string::npos);
}

TEST(KeyFormat, Sha256AndConstantTimeComparison) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_TRUE(hashes_equal(sha256_hex("x"), sha256_hex("x")));
  EXPECT_FALSE(hashes_equal(sha256_hex("x"), sha256_hex("y")));
  EXPECT_FALSE(hashes_equal("abc", "ab"));
  EXPECT_FALSE(hashes_equal("", "a"));
}

TEST(KeyFormat, BudgetPeriodsAndAllowedModels) {
  EXPECT_EQ(parse_budget_period("daily"), BudgetPeriod::daily);
  EXPECT_EQ(parse_budget_period("monthly"), BudgetPeriod::monthly);
  EXPECT_EQ(parse_budget_period("total"), BudgetPeriod::total);
  EXPECT_FALSE(parse_budget_period("weekly"));
  EXPECT_FALSE(parse_budget_period("Daily"));
  for (auto p : {BudgetPeriod::daily, BudgetPeriod::monthly, BudgetPeriod::total}) {
    EXPECT_EQ(parse_budget_period(budget_period_name(p)), p);
  }
  KeyRecord key;
  EXPECT_TRUE(key.allows_model("anything"));
  key.limits.allowed_models = {"mock-1"};
  EXPECT_TRUE(key.allows_model("mock-1"));
  EXPECT_FALSE(key.allows_model("mock-embedding-1"));
  EXPECT_FALSE(key.allows_model("mock-1 "));
}

TEST(KeyFormat, ActiveUnlessRevokedOrExpired) {
  KeyRecord key;
  EXPECT_TRUE(key.active_at(1000));
  key.expires_at = 1000;
  EXPECT_TRUE(key.active_at(999));
  EXPECT_FALSE(key.active_at(1000));
  key.expires_at.reset();
  key.revoked_at = 500;
  EXPECT_FALSE(key.active_at(400));  // revocation is final, whatever its time
}
