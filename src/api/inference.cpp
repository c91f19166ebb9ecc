#include "agw/api/handlers.hpp"

namespace agw::api {

http::Handler keyed(auth::Authenticator& authenticator, KeyedHandler handler) {
  return [&authenticator, handler = std::move(handler)](http::Request& request)
             -> Task<http::Response> {
    const auto key = co_await authenticator.authenticate(request);
    co_return co_await handler(request, *key);
  };
}

KeyedHandler inference_handler(const pipeline::InferencePipeline& pipeline,
                               providers::Endpoint endpoint) {
  return [&pipeline, endpoint](http::Request& request,
                               const auth::KeyRecord& key) -> Task<http::Response> {
    co_return co_await pipeline.run(endpoint, request, key);
  };
}

}  // namespace agw::api
