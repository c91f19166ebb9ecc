#pragma once
// Client key format (SPEC §3): "agw_<id>.<secret>". The id is public (12 base62 characters);
// the secret is 32 bytes from OpenSSL's CSPRNG as unpadded base64url (43 characters), stored only
// as its SHA-256. Keys without a dot are legacy keys, looked up by the hash of the whole key.
#include <optional>
#include <string>
#include <string_view>

namespace agw::auth {

inline constexpr std::size_t kMaxKeyLength = 512;
// Shorter text without a dot ("agw_", a truncated key) is malformed, not a legacy key:
// import-key refuses such keys, so none can be stored.
inline constexpr std::size_t kMinLegacyKeyLength = 16;

struct ParsedKey {
  enum class Kind { modern, legacy } kind;
  std::string_view id;      // modern keys only
  std::string_view secret;  // modern: the secret; legacy: the whole key
};

// nullopt when the text cannot be a key (empty, too long, control or non-ASCII characters,
// "agw_" with an empty id or secret, a legacy key shorter than kMinLegacyKeyLength).
std::optional<ParsedKey> parse_key(std::string_view presented) noexcept;

struct GeneratedKey {
  std::string id;
  std::string key;          // shown once, never stored
  std::string secret_hash;  // what the store keeps
};
GeneratedKey generate_key();
std::string new_key_id();

// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view data);
// Constant-time equality of two hashes.
bool hashes_equal(std::string_view a, std::string_view b) noexcept;
// "agw_<id>.***" or "***": the only form of a key that may appear in logs or messages.
std::string redact_key(std::string_view presented);

}  // namespace agw::auth
