#include "agw/app/app.hpp"

#include <spdlog/spdlog.h>

#include "agw/api/handlers.hpp"
#include "agw/core/clock.hpp"
#include "agw/core/logging.hpp"
#include "agw/http/server.hpp"
#include "agw/metrics/http_metrics.hpp"
#include "agw/metrics/registry.hpp"
#include "agw/pipeline/inference.hpp"
#include "agw/providers/mock_provider.hpp"

namespace agw::app {

using http::Method;
using providers::Endpoint;

struct App::Parts {
  std::shared_ptr<core::Clock> clock = std::make_shared<core::SystemClock>();
  metrics::Registry registry;
  std::unique_ptr<providers::ProviderRegistry> providers;
  std::unique_ptr<pipeline::InferencePipeline> inference;
  http::Router router;
  std::unique_ptr<metrics::HttpMetrics> http_metrics;
  std::unique_ptr<http::Server> server;
};

namespace {

std::shared_ptr<providers::Provider> make_default_provider(const config::Config& config) {
  switch (config.providers.default_provider) {
    case config::ProviderKind::mock: return nullptr;  // non-mock models are unknown
    case config::ProviderKind::openai:
      throw config::ConfigError(
          "DEFAULT_PROVIDER: the openai provider is not available in this build yet");
  }
  return nullptr;
}

}  // namespace

App::App(config::Config config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {
  auto& p = *parts_;
  auto mock = std::make_shared<providers::MockProvider>(p.clock, config_.providers.mock_latency);
  p.providers = std::make_unique<providers::ProviderRegistry>(
      mock, providers::MockProvider::models(), make_default_provider(config_));
  p.inference = std::make_unique<pipeline::InferencePipeline>(*p.providers);

  p.router.add(Method::post, "/v1/responses", api::inference_handler(*p.inference, Endpoint::responses))
      .add(Method::post, "/v1/chat/completions",
           api::inference_handler(*p.inference, Endpoint::chat_completions))
      .add(Method::post, "/v1/embeddings", api::inference_handler(*p.inference, Endpoint::embeddings))
      .add(Method::post, "/v1/images/generations",
           api::inference_handler(*p.inference, Endpoint::images_generations))
      .add(Method::get, "/v1/models", api::models_handler(*p.providers))
      .add(Method::get, "/healthz", api::healthz_handler())
      .add(Method::get, "/metrics", api::metrics_handler(p.registry, config_.metrics.token));

  std::vector<std::string> patterns;
  for (const auto& route : p.router.routes()) patterns.push_back(route.pattern);
  p.http_metrics = std::make_unique<metrics::HttpMetrics>(p.registry, patterns);
  p.server = std::make_unique<http::Server>(config_.server, p.router, *p.http_metrics);
}

App::~App() = default;

std::uint16_t App::listen() {
  const std::uint16_t port = parts_->server->listen();
  spdlog::info("ai-gateway {} listening on {}:{} ({} IO threads, default provider {})",
               AGW_VERSION, config_.server.host, port, config_.server.io_threads,
               config_.providers.default_provider == config::ProviderKind::mock ? "mock"
                                                                                 : "openai");
  return port;
}

int App::run() {
  parts_->server->run();
  spdlog::info("ai-gateway stopped");
  core::flush_logging();
  return 0;
}

}  // namespace agw::app
