#include "agw/auth/authenticator.hpp"

#include <spdlog/spdlog.h>

#include "agw/auth/key_format.hpp"
#include "agw/core/error.hpp"

namespace agw::auth {

using core::ApiError;
using core::ErrorCode;

namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

ApiError invalid_key(std::string message) {
  return ApiError(ErrorCode::invalid_api_key, std::move(message));
}

}  // namespace

std::string_view presented_key(const http::Request& request) noexcept {
  if (const auto key = request.header("x-api-key"); !key.empty()) return key;
  const auto authorization = request.header("authorization");
  if (iequals_prefix(authorization, "bearer ")) {
    auto key = authorization.substr(7);
    while (!key.empty() && key.front() == ' ') key.remove_prefix(1);
    return key;
  }
  return {};
}

Authenticator::Authenticator(store::KeyStore& keys, const core::Clock& clock,
                             FailureThrottle& throttle)
    : keys_(keys), clock_(clock), throttle_(throttle) {}

Task<store::KeyStore::KeyPtr> Authenticator::authenticate(const http::Request& request) {
  if (const auto wait = throttle_.blocked_for(request.client_address); wait > 0) {
    throw ApiError(ErrorCode::rate_limit_exceeded,
                   "Too many failed authentications from this address; try again later.")
        .with_header("Retry-After", std::to_string(wait));
  }
  const std::string_view presented = presented_key(request);
  if (presented.empty()) {
    throttle_.record_failure(request.client_address);
    throw invalid_key(
        "You didn't provide an API key. Send it in the X-API-Key header or as "
        "'Authorization: Bearer <key>'.");
  }
  store::KeyStore::KeyPtr key;
  try {
    key = co_await verify(presented);
  } catch (const store::StoreUnavailable& e) {
    spdlog::warn("key lookup failed: {}", e.what());
    throw ApiError(ErrorCode::not_ready,
                   "The gateway cannot verify API keys right now; try again shortly.");
  }
  if (!key) {
    throttle_.record_failure(request.client_address);
    throw invalid_key("Incorrect API key provided: " + redact_key(presented) + ".");
  }
  const std::int64_t now = clock_.unix_seconds();
  if (!key->active_at(now)) {
    throttle_.record_failure(request.client_address);
    throw invalid_key(key->revoked_at ? "This API key has been revoked."
                                      : "This API key has expired.");
  }
  note_used(key->id, now);
  co_return key;
}

Task<store::KeyStore::KeyPtr> Authenticator::verify(std::string_view presented) {
  const auto parsed = parse_key(presented);
  if (!parsed) co_return nullptr;
  if (parsed->kind == ParsedKey::Kind::legacy) {
    co_return co_await keys_.find_legacy(sha256_hex(parsed->secret));
  }
  const std::string secret_hash = sha256_hex(parsed->secret);
  auto key = co_await keys_.find_by_id(std::string(parsed->id));
  if (!key || !hashes_equal(secret_hash, key->secret_hash)) co_return nullptr;
  co_return key;
}

void Authenticator::note_used(const std::string& id, std::int64_t now) {
  std::lock_guard lock(last_used_mutex_);
  auto& at = last_used_[id];
  at = std::max(at, now);
}

std::vector<std::pair<std::string, std::int64_t>> Authenticator::take_last_used() {
  std::unordered_map<std::string, std::int64_t> taken;
  {
    std::lock_guard lock(last_used_mutex_);
    taken.swap(last_used_);
  }
  return {taken.begin(), taken.end()};
}

void Authenticator::restore_last_used(
    const std::vector<std::pair<std::string, std::int64_t>>& batch) {
  std::lock_guard lock(last_used_mutex_);
  for (const auto& [id, at] : batch) {
    auto& current = last_used_[id];
    current = std::max(current, at);
  }
}

}  // namespace agw::auth
