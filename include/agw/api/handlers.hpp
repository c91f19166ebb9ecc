#pragma once
// Thin route handlers: each turns a request into a call on the core and a response.
#include <functional>
#include <string>

#include "agw/auth/authenticator.hpp"
#include "agw/http/router.hpp"
#include "agw/pipeline/inference.hpp"
#include "agw/providers/models_catalog.hpp"

namespace agw::metrics {
class Registry;
}
namespace agw::store {
class ReadinessMonitor;
}

namespace agw::api {

// A handler of a route that needs a client key.
using KeyedHandler = std::function<Task<http::Response>(http::Request&, const auth::KeyRecord&)>;
// Authenticates (401/429/503 on failure), then runs `handler` with the caller's key.
http::Handler keyed(auth::Authenticator& authenticator, KeyedHandler handler);

// POST /v1/responses, /v1/chat/completions, /v1/embeddings, /v1/images/generations
KeyedHandler inference_handler(const pipeline::InferencePipeline& pipeline,
                               providers::Endpoint endpoint);
// GET /v1/models: the models this key may use
KeyedHandler models_handler(providers::ModelsCatalog& catalog);
// GET /healthz
http::Handler healthz_handler();
// GET /readyz, from the monitor's cached probes
http::Handler readyz_handler(const store::ReadinessMonitor& readiness);
// GET /metrics, behind a bearer token when `token` is not empty
http::Handler metrics_handler(const metrics::Registry& registry, std::string token);

}  // namespace agw::api
