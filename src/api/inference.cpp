#include "agw/api/handlers.hpp"

namespace agw::api {

http::Handler inference_handler(const pipeline::InferencePipeline& pipeline,
                                providers::Endpoint endpoint) {
  return [&pipeline, endpoint](http::Request& request) -> Task<http::Response> {
    co_return co_await pipeline.run(endpoint, request);
  };
}

}  // namespace agw::api
