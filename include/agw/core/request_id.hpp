#pragma once
#include <string>
#include <string_view>

namespace agw::core {

// SPEC §2: a client's X-Request-Id is echoed when it is 1-128 characters of [A-Za-z0-9._:-].
bool is_acceptable_request_id(std::string_view id) noexcept;

// "req_" + 32 lowercase hex characters from a per-thread generator seeded by the OS.
std::string new_request_id();

// The client's id when acceptable, otherwise a new one.
inline std::string choose_request_id(std::string_view client_id) {
  return is_acceptable_request_id(client_id) ? std::string(client_id) : new_request_id();
}

}  // namespace agw::core
