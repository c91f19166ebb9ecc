#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace agw::core {

std::string base64_encode(std::string_view bytes);
// 64-bit FNV-1a: a fast, stable, non-cryptographic fingerprint (mock answers, cache keys).
std::uint64_t fnv1a64(std::string_view bytes) noexcept;
std::string to_hex(std::uint64_t value, int digits = 16);

}  // namespace agw::core
