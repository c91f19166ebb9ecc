#pragma once
// The status line and header section of a response, written straight into a string: the server
// sends it and the body with one gathered write (Beast's serializer cost more than the rest of
// the write path together).
#include <cstddef>
#include <string>
#include <string_view>

#include "agw/http/message.hpp"

namespace agw::http {

// Appends "HTTP/1.x <status> <reason>\r\n", Content-Type, x-request-id, the response's own
// headers, Content-Length and, where the version's default differs, Connection, then "\r\n".
// `version` is 10 or 11 (the request's). Header values must hold no CR or LF.
void write_response_head(std::string& out, const Response& response, unsigned version,
                         bool keep_alive, std::string_view request_id,
                         std::size_t content_length);

}  // namespace agw::http
