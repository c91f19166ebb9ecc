#pragma once
// A fake OpenAI upstream for tests: a Beast HTTP/1.1 server (plain or TLS) on 127.0.0.1 and a
// free port, with its own io_context threads, keep-alive, scripted answers and failures, and a
// record of every request it received. Beast and Asio stay in the .cpp.
//
//   agw::test::FakeUpstream upstream;                      // plain HTTP
//   upstream.push({.status = 429, .headers = {{"Retry-After", "1"}}});
//   upstream.push({.status = 503});                        // then 503, then the default answer
//   ... point the gateway at upstream.base_url() ...
//   EXPECT_EQ(upstream.requests().size(), 3u);
//
//   auto tls = agw::test::UpstreamTls::generate("localhost");
//   agw::test::FakeUpstream secure(tls);                   // https://localhost:PORT
//   // the gateway gets OPENAI_CA_FILE=tls.ca_file
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace agw::test {

// A CA and a server certificate signed by it (EC P-256, X509 v3), written as PEM files into a
// new temporary directory that is removed when the test process exits.
struct UpstreamTls {
  std::string ca_file;    // the CA certificate: what the gateway gets as OPENAI_CA_FILE
  std::string cert_file;  // the server certificate
  std::string key_file;   // the server's private key
  std::string host_name;  // the name the server certificate is valid for

  // subjectAltName DNS:<host_name>; for "localhost" also IP:127.0.0.1 and IP:::1. Throws
  // std::runtime_error on failure.
  static UpstreamTls generate(const std::string& host_name = "localhost");
  // A certificate valid for "wrong.example" only (signed by its own CA, which ca_file holds):
  // a client that trusts ca_file and connects to localhost must refuse it.
  static UpstreamTls generate_wrong_host() { return generate("wrong.example"); }
};

// A request as the fake received it.
struct RecordedRequest {
  std::string method;  // "POST"
  std::string target;  // "/v1/chat/completions" (with the query string, if any)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names; repeated fields joined by ", "
  std::size_t connection = 0;                  // which TCP connection: 1 = the first accepted
};

// What to do for one request.
struct Scripted {
  int status = 200;
  // The response body. Unset: the default answer for the request's path when `status` is 2xx
  // (see FakeUpstream), otherwise an OpenAI error envelope {"error":{...}} for `status`.
  std::optional<std::string> body{};
  // Added to the response; Content-Type defaults to application/json. Content-Length,
  // Transfer-Encoding and Connection are the fake's own (see chunked, close_after) and are
  // ignored here.
  std::map<std::string, std::string> headers{};
  // Wait (a timer, not a sleep) before answering.
  std::chrono::milliseconds delay{0};
  // Read the request, then reset the connection (SO_LINGER 0: RST) without answering.
  bool reset_before_response = false;
  // Send the head and half the body, pause 50 ms (so the client has read them), then reset.
  bool reset_mid_body = false;
  // Answer with "Connection: close", then close the connection.
  bool close_after = false;
  // Send the body with Transfer-Encoding: chunked (in up to 3 chunks).
  bool chunked = false;
};

// The server. Default answers (when no scripted answer is queued and no handler is set), chosen
// by the end of the path so a prefix such as /api/v1 works too:
//   GET  .../models               {"object":"list","data":[{"id":"gpt-4o-mini",...}]}
//   POST .../chat/completions     a chat.completion; usage 9 + 12 = 21 tokens
//   POST .../responses            a response object; usage input 9, output 12, total 21
//   POST .../embeddings           one embedding (3 floats) per input; usage 5 tokens per input
//   POST .../images/generations   one b64_json image; usage input 9, output 12, total 21
//   anything else                 404 with an OpenAI error envelope
// "model" in answers echoes the request's "model" (default "gpt-4o-mini").
class FakeUpstream {
 public:
  // Listens on 127.0.0.1 (and, when it can, [::1]) on a free port and starts `threads` threads.
  explicit FakeUpstream(std::optional<UpstreamTls> tls = std::nullopt, unsigned threads = 2);
  ~FakeUpstream();  // stops the threads and closes every connection
  FakeUpstream(const FakeUpstream&) = delete;
  FakeUpstream& operator=(const FakeUpstream&) = delete;

  std::uint16_t port() const;
  // "http://127.0.0.1:PORT", or "https://localhost:PORT" with TLS (whatever name the
  // certificate holds: a wrong-host certificate is refused when reached through this URL).
  std::string base_url() const;

  // Scripted answers, used in order, one per request (whatever its path); when the queue is
  // empty the handler answers, or else the default answer.
  void push(Scripted s);
  // Computes the answer when the queue is empty. Called on the fake's threads, possibly for two
  // requests at once: it must be thread-safe. It must not call close_idle_connections().
  void set_handler(std::function<Scripted(const RecordedRequest&)> handler);

  // Every request read in full so far, in arrival order, including those answered with a reset.
  std::vector<RecordedRequest> requests() const;
  // TCP connections accepted so far; the most open at one time; open now.
  std::size_t connections_accepted() const;
  std::size_t max_concurrent_connections() const;
  std::size_t open_connections() const;
  // Closes (FIN) every connection that is not busy with a request (it waits for the next one,
  // or is still in the TLS handshake), as an upstream's keep-alive timeout would; returns how
  // many. A connection whose answer the client has received counts as idle. Connections that
  // are reading a request or waiting out a delay are left alone. open_connections() reflects
  // the closes on return.
  std::size_t close_idle_connections();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agw::test
