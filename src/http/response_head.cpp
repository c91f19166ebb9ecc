#include "agw/http/response_head.hpp"

#include <boost/beast/http/status.hpp>
#include <charconv>

namespace agw::http {
namespace {

void append_number(std::string& out, std::size_t value) {
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, end);
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

}  // namespace

void write_response_head(std::string& out, const Response& response, unsigned version,
                         bool keep_alive, std::string_view request_id,
                         std::size_t content_length) {
  out.append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  append_number(out, static_cast<std::size_t>(response.status));
  out.push_back(' ');
  const auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  append_field(out, "Content-Type", response.content_type);
  append_field(out, "x-request-id", request_id);
  for (const auto& [name, value] : response.headers) append_field(out, name, value);
  out.append("Content-Length: ");
  append_number(out, content_length);
  out.append("\r\n");
  if (version == 10 && keep_alive) out.append("Connection: keep-alive\r\n");
  if (version != 10 && !keep_alive) out.append("Connection: close\r\n");
  out.append("\r\n");
}

}  // namespace agw::http
