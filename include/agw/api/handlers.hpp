#pragma once
// Thin route handlers: each turns a request into a call on the core and a response.
#include <string>

#include "agw/http/router.hpp"
#include "agw/pipeline/inference.hpp"
#include "agw/providers/registry.hpp"

namespace agw::metrics {
class Registry;
}

namespace agw::api {

// POST /v1/responses, /v1/chat/completions, /v1/embeddings, /v1/images/generations
http::Handler inference_handler(const pipeline::InferencePipeline& pipeline,
                                providers::Endpoint endpoint);
// GET /v1/models
http::Handler models_handler(const providers::ProviderRegistry& providers);
// GET /healthz
http::Handler healthz_handler();
// GET /metrics, behind a bearer token when `token` is not empty
http::Handler metrics_handler(const metrics::Registry& registry, std::string token);

}  // namespace agw::api
