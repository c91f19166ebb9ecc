#pragma once
// Who is calling: the client key from X-API-Key or Authorization: Bearer (X-API-Key wins),
// verified against the key store (through its cache) in constant time. Failures are 401s in
// OpenAI's envelope and count against the client address's throttle.
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agw/auth/failure_throttle.hpp"
#include "agw/core/clock.hpp"
#include "agw/http/message.hpp"
#include "agw/store/key_store.hpp"

namespace agw::auth {

// The key text a request presents, or empty.
std::string_view presented_key(const http::Request& request) noexcept;

class Authenticator {
 public:
  Authenticator(store::KeyStore& keys, const core::Clock& clock, FailureThrottle& throttle);

  // The caller's key; throws core::ApiError (401 invalid_api_key, 429 when throttled, 503 when
  // the key store cannot answer).
  Task<store::KeyStore::KeyPtr> authenticate(const http::Request& request);

  // Last-used times gathered since the previous call, for one batched store update.
  std::vector<std::pair<std::string, std::int64_t>> take_last_used();
  // Puts back a batch that could not be written.
  void restore_last_used(const std::vector<std::pair<std::string, std::int64_t>>& batch);

 private:
  Task<store::KeyStore::KeyPtr> verify(std::string_view presented);
  void note_used(const std::string& id, std::int64_t now);

  store::KeyStore& keys_;
  const core::Clock& clock_;
  FailureThrottle& throttle_;
  std::mutex last_used_mutex_;
  std::unordered_map<std::string, std::int64_t> last_used_;
};

}  // namespace agw::auth
