#pragma once
// The HTTP request and response as handlers see them: no Beast types, so handlers and the
// pipeline compile without Beast's headers.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace agw::http {

enum class Method : std::uint8_t { get, head, post, put, patch, del, options, other };

std::string_view method_name(Method m) noexcept;

// Header lookup over the server's parsed request (case-insensitive names).
class HeaderSource {
 public:
  virtual std::string_view get(std::string_view name) const = 0;

 protected:
  ~HeaderSource() = default;
};

struct Request {
  Method method = Method::other;
  std::string_view path;   // target without the query string
  std::string_view query;  // after '?', may be empty
  std::string body;        // the body, moved out of the parser: the one copy we keep
  const HeaderSource* headers = nullptr;
  std::string_view client_address;
  std::string request_id;  // set by the server per SPEC §2 before the handler runs
  std::chrono::steady_clock::time_point received_at;
  std::vector<std::pair<std::string_view, std::string_view>> params;  // from the route pattern

  std::string_view header(std::string_view name) const {
    return headers ? headers->get(name) : std::string_view{};
  }
  std::string_view param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return {};
  }
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  bool close_connection = false;
  std::string_view error_code;  // set for errors: the access log and metrics label

  Response& header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

}  // namespace agw::http
