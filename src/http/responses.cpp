#include "agw/http/responses.hpp"

namespace agw::http {

std::string_view method_name(Method m) noexcept {
  switch (m) {
    case Method::get: return "GET";
    case Method::head: return "HEAD";
    case Method::post: return "POST";
    case Method::put: return "PUT";
    case Method::patch: return "PATCH";
    case Method::del: return "DELETE";
    case Method::options: return "OPTIONS";
    case Method::other: return "OTHER";
  }
  return "OTHER";
}

Response json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response error_response(const core::ApiError& error) {
  Response r;
  r.status = error.http_status();
  r.body = error.to_json();
  r.error_code = core::describe(error.code()).code;
  r.headers = error.headers();
  return r;
}

}  // namespace agw::http
