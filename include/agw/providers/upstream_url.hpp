#pragma once
// OPENAI_BASE_URL → where to connect and which paths to call. The base may end in /v1 or not,
// with or without a trailing slash: https://api.openai.com/v1, https://openrouter.ai/api,
// http://127.0.0.1:8000/v1/ all work.
#include <optional>
#include <string>
#include <string_view>

namespace agw::providers {

struct UpstreamEndpoint {
  bool tls = false;
  std::string host;
  std::string port;       // "443" when not given for https, "80" for http
  std::string base_path;  // without trailing slash, always ending in "/v1"
  std::string host_header() const;  // host, or host:port when the port is not the default
};

std::optional<UpstreamEndpoint> parse_base_url(std::string_view url);
// "/v1/chat/completions" under the endpoint's base path, for "chat/completions".
std::string upstream_path(const UpstreamEndpoint& endpoint, std::string_view api_path);

}  // namespace agw::providers
