#include <openssl/crypto.h>

#include "agw/api/handlers.hpp"
#include "agw/http/responses.hpp"
#include "agw/metrics/registry.hpp"

namespace agw::api {
namespace {

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kPrefix = "bearer ";  // the scheme is case-insensitive
  if (authorization.size() < kPrefix.size()) return false;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != kPrefix[i]) return false;
  }
  const std::string_view given = authorization.substr(kPrefix.size());
  return given.size() == token.size() &&
         CRYPTO_memcmp(given.data(), token.data(), token.size()) == 0;
}

}  // namespace

http::Handler metrics_handler(const metrics::Registry& registry, std::string token) {
  return [&registry, token = std::move(token)](http::Request& request) -> Task<http::Response> {
    if (!token.empty() && !bearer_matches(request.header("authorization"), token)) {
      co_return http::error_response(core::ErrorCode::invalid_api_key,
                                     "A valid metrics token is required.");
    }
    http::Response response = http::json_response(200, registry.render());
    response.content_type = "text/plain; version=0.0.4; charset=utf-8";
    co_return response;
  };
}

}  // namespace agw::api
