#include "agw/api/handlers.hpp"
#include "agw/http/responses.hpp"

namespace agw::api {

http::Handler healthz_handler() {
  return [](http::Request&) -> Task<http::Response> {
    co_return http::json_response(200, R"({"status":"ok"})");
  };
}

}  // namespace agw::api
