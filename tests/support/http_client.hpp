#pragma once
// A blocking HTTP/1.1 client for tests: one keep-alive connection, plus raw socket helpers.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace agw::test {

class GatewayProcess;

struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  bool keep_alive = false;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(std::uint16_t port, std::string host = "127.0.0.1");
  // A client of `gateway` that sends its test key (Authorization: Bearer) unless a request
  // sets Authorization or X-API-Key itself.
  explicit HttpClient(GatewayProcess& gateway);
  ~HttpClient();

  HttpResult request(const std::string& method, const std::string& target,
                     const std::string& body = {},
                     const std::vector<std::pair<std::string, std::string>>& headers = {});
  HttpResult get(const std::string& target,
                 const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return request("GET", target, {}, headers);
  }
  HttpResult post_json(const std::string& target, const std::string& body,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/json");
    return request("POST", target, body, headers);
  }
  // The local port of the current connection: equal across calls when keep-alive reused it.
  std::uint16_t local_port() const;
  bool connected() const;

 private:
  void connect();
  std::string default_key_;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A raw TCP connection for protocol-level tests (slow clients, oversized bodies).
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  // Returns false when the peer has closed or reset the connection.
  bool send(const std::string& bytes);
  // Reads until the peer closes or `timeout` passes; returns what arrived.
  std::string read_all(std::chrono::milliseconds timeout);
  // Reads until the response head and its Content-Length body have arrived.
  std::string read_response(std::chrono::milliseconds timeout);
  // True when the peer closed the connection within `timeout` (EOF or reset).
  bool closed_by_peer(std::chrono::milliseconds timeout);

 private:
  int fd_ = -1;
};

}  // namespace agw::test
