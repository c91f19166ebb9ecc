#include "agw/providers/upstream_url.hpp"

#include <algorithm>
#include <cctype>

namespace agw::providers {

std::string UpstreamEndpoint::host_header() const {
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  const bool ipv6 = host.find(':') != std::string::npos;
  const std::string h = ipv6 ? "[" + host + "]" : host;
  return default_port ? h : h + ":" + port;
}

std::optional<UpstreamEndpoint> parse_base_url(std::string_view url) {
  UpstreamEndpoint out;
  if (url.starts_with("https://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("http://")) {
    url.remove_prefix(7);
  } else {
    return std::nullopt;
  }
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : url.substr(slash);
  if (authority.empty() || authority.find('@') != std::string_view::npos ||
      path.find_first_of("?#") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view port;
  if (authority.front() == '[') {  // [ipv6]:port
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port.empty()) {
    if (port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return std::nullopt;
    const int number = std::stoi(std::string(port));
    if (number < 1 || number > 65535) return std::nullopt;
    out.port = std::string(port);
  } else {
    out.port = out.tls ? "443" : "80";
  }
  std::string base(path);
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (!base.ends_with("/v1")) base += "/v1";
  out.base_path = std::move(base);
  return out;
}

std::string upstream_path(const UpstreamEndpoint& endpoint, std::string_view api_path) {
  return endpoint.base_path + "/" + std::string(api_path);
}

}  // namespace agw::providers
