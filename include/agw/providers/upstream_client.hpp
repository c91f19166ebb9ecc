#pragma once
// An HTTP/1.1 client for one upstream (plain or TLS), with a keep-alive connection pool shared by
// every IO thread: at most `max_connections` open at once (callers beyond that wait, within their
// deadline), idle connections reused on the thread that owns them, stale ones (closed by the
// upstream while idle) detected and replaced without failing the request. One call is one
// attempt; retries are the caller's policy.
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agw/core/task.hpp"
#include "agw/http/message.hpp"
#include "agw/providers/upstream_url.hpp"

namespace agw::metrics {
class UpstreamMetrics;
}

namespace agw::providers {

struct UpstreamClientOptions {
  std::size_t max_connections = 256;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds idle_timeout{30'000};  // pooled connections idle longer are dropped
  std::string ca_file;                             // added to the system's trust store
};

struct OutgoingRequest {
  http::Method method = http::Method::post;
  std::string target;     // path and query
  std::string_view body;  // sent as it is (not copied)
  std::vector<std::pair<std::string, std::string>> headers;
};

struct IncomingResponse {
  int status = 0;
  std::string body;
  std::string content_type;
  std::string retry_after;
};

class UpstreamFailure : public std::runtime_error {
 public:
  enum class Kind {
    connect,                // DNS, TCP connect or pool wait failed: nothing was sent
    reset_before_response,  // the connection broke before any response byte
    broken_response,        // the connection broke or the answer was malformed mid-response
    tls,                    // handshake or certificate verification failed
    timeout,                // the deadline passed
  };
  UpstreamFailure(Kind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }
  // Worth another attempt: the upstream cannot have acted on the request, or may recover.
  bool retryable() const noexcept {
    return kind_ == Kind::connect || kind_ == Kind::reset_before_response;
  }

 private:
  Kind kind_;
};

class UpstreamClient {
 public:
  UpstreamClient(UpstreamEndpoint endpoint, UpstreamClientOptions options,
                 metrics::UpstreamMetrics* metrics);
  ~UpstreamClient();
  UpstreamClient(const UpstreamClient&) = delete;
  UpstreamClient& operator=(const UpstreamClient&) = delete;

  // One exchange before `deadline`; throws UpstreamFailure. Runs on the caller's executor.
  Task<IncomingResponse> send(const OutgoingRequest& request,
                              std::chrono::steady_clock::time_point deadline);

  const UpstreamEndpoint& endpoint() const noexcept { return endpoint_; }

 private:
  struct Impl;
  UpstreamEndpoint endpoint_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace agw::providers
