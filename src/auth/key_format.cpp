#include "agw/auth/key_format.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "agw/auth/key_record.hpp"

namespace agw::auth {
namespace {

constexpr std::string_view kPrefix = "agw_";
constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
constexpr std::size_t kIdLength = 12;
constexpr std::size_t kSecretBytes = 32;

void random_bytes(unsigned char* out, std::size_t n) {
  if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("CSPRNG failure");
}

std::string base64url(const unsigned char* data, std::size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data,
                                  static_cast<int>(n));
  out.resize(static_cast<std::size_t>(len));
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

bool printable_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace

std::string_view budget_period_name(BudgetPeriod p) noexcept {
  switch (p) {
    case BudgetPeriod::daily: return "daily";
    case BudgetPeriod::monthly: return "monthly";
    case BudgetPeriod::total: return "total";
  }
  return "monthly";
}

std::optional<BudgetPeriod> parse_budget_period(std::string_view text) noexcept {
  if (text == "daily") return BudgetPeriod::daily;
  if (text == "monthly") return BudgetPeriod::monthly;
  if (text == "total") return BudgetPeriod::total;
  return std::nullopt;
}

bool KeyRecord::allows_model(std::string_view model) const {
  const auto& allowed = limits.allowed_models;
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), model) != allowed.end();
}

std::optional<ParsedKey> parse_key(std::string_view presented) noexcept {
  if (presented.empty() || presented.size() > kMaxKeyLength || !printable_ascii(presented)) {
    return std::nullopt;
  }
  const auto dot = presented.find('.');
  if (dot == std::string_view::npos) {
    if (presented.size() < kMinLegacyKeyLength) return std::nullopt;
    return ParsedKey{ParsedKey::Kind::legacy, {}, presented};
  }
  if (!presented.starts_with(kPrefix)) return std::nullopt;
  const std::string_view id = presented.substr(kPrefix.size(), dot - kPrefix.size());
  const std::string_view secret = presented.substr(dot + 1);
  if (id.empty() || secret.empty()) return std::nullopt;
  if (!std::all_of(id.begin(), id.end(),
                   [](char c) { return kBase62.find(c) != std::string_view::npos; })) {
    return std::nullopt;
  }
  return ParsedKey{ParsedKey::Kind::modern, id, secret};
}

std::string new_key_id() {
  std::string id;
  unsigned char buf[64];
  while (id.size() < kIdLength) {
    random_bytes(buf, sizeof buf);
    for (unsigned char b : buf) {
      // 62 * 4 = 248: rejecting bytes >= 248 keeps every character equally likely.
      if (b < 248 && id.size() < kIdLength) id += kBase62[b % 62];
    }
  }
  return id;
}

GeneratedKey generate_key() {
  unsigned char secret_bytes[kSecretBytes];
  random_bytes(secret_bytes, sizeof secret_bytes);
  const std::string secret = base64url(secret_bytes, sizeof secret_bytes);
  OPENSSL_cleanse(secret_bytes, sizeof secret_bytes);
  GeneratedKey out;
  out.id = new_key_id();
  out.key = std::string(kPrefix) + out.id + "." + secret;
  out.secret_hash = sha256_hex(secret);
  return out;
}

std::string sha256_hex(std::string_view data) {
  // On the request path for every key check: the algorithm is fetched once and each thread
  // keeps its digest context, since EVP_Digest(…, EVP_sha256(), …) fetches and allocates on
  // every call (about three quarters of its cost for a 43-byte secret).
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!sha256 || !context || EVP_DigestInit_ex2(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest, &len) != 1) {
    throw std::runtime_error("SHA-256 failure");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(len * 2, '0');
  for (unsigned int i = 0; i < len; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return out;
}

bool hashes_equal(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string redact_key(std::string_view presented) {
  const auto parsed = parse_key(presented);
  if (parsed && parsed->kind == ParsedKey::Kind::modern) {
    return std::string(kPrefix) + std::string(parsed->id) + ".***";
  }
  return "***";
}

}  // namespace agw::auth
