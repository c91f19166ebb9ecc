#include <nlohmann/json.hpp>

#include "agw/api/handlers.hpp"
#include "agw/http/responses.hpp"
#include "agw/store/readiness.hpp"

namespace agw::api {

http::Handler healthz_handler() {
  return [](http::Request&) -> Task<http::Response> {
    co_return http::json_response(200, R"({"status":"ok"})");
  };
}

http::Handler readyz_handler(const store::ReadinessMonitor& readiness) {
  return [&readiness](http::Request&) -> Task<http::Response> {
    nlohmann::json checks = nlohmann::json::object();
    std::string failing;
    for (const auto& status : readiness.snapshot()) {
      checks[status.name] = status.detail;
      if (!status.ok) failing += (failing.empty() ? "" : ", ") + status.name;
    }
    if (failing.empty()) {
      co_return http::json_response(
          200, nlohmann::json{{"status", "ready"}, {"checks", std::move(checks)}}.dump());
    }
    http::Response response = http::error_response(core::ErrorCode::not_ready,
                                                    "Not ready: " + failing + " unreachable.");
    auto body = nlohmann::json::parse(response.body);
    body["checks"] = std::move(checks);
    response.body = body.dump();
    co_return response;
  };
}

}  // namespace agw::api
