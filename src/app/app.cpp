#include "agw/app/app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "agw/api/handlers.hpp"
#include "agw/app/storage.hpp"
#include "agw/auth/caching_key_store.hpp"
#include "agw/core/block_on.hpp"
#include "agw/core/clock.hpp"
#include "agw/core/logging.hpp"
#include "agw/http/server.hpp"
#include "agw/metrics/http_metrics.hpp"
#include "agw/metrics/registry.hpp"
#include "agw/metrics/upstream_metrics.hpp"
#include "agw/providers/openai_provider.hpp"
#include "agw/pipeline/inference.hpp"
#include "agw/providers/mock_provider.hpp"
#include "agw/store/readiness.hpp"

namespace agw::app {

using http::Method;
using providers::Endpoint;

namespace {

constexpr auto kLastUsedFlushInterval = std::chrono::seconds(5);
constexpr auto kReadinessInterval = std::chrono::seconds(1);

providers::OpenAiOptions openai_options(const config::ProvidersConfig& c) {
  providers::OpenAiOptions o;
  o.api_key = c.openai.api_key;
  o.http_referer = c.openai.http_referer;
  o.title = c.openai.title;
  o.timeout = c.upstream.timeout;
  o.retry = {c.upstream.max_retries, c.upstream.retry_base, c.upstream.retry_max_wait};
  return o;
}

}  // namespace

// Declaration order is destruction order reversed: the server (and its IO contexts) outlives
// everything that may still post to it, such as the database pool's threads.
struct App::Parts {
  std::shared_ptr<core::Clock> clock = std::make_shared<core::SystemClock>();
  metrics::Registry registry;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<auth::CachingKeyStore> keys;
  std::unique_ptr<auth::FailureThrottle> throttle;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<store::ReadinessMonitor> readiness;
  std::unique_ptr<metrics::UpstreamMetrics> upstream_metrics;
  std::unique_ptr<providers::UpstreamClient> upstream_client;
  std::shared_ptr<providers::OpenAiProvider> openai;
  std::unique_ptr<providers::ProviderRegistry> providers;
  std::unique_ptr<providers::ModelsCatalog> models;
  std::unique_ptr<pipeline::InferencePipeline> inference;
  http::Router router;
  std::unique_ptr<metrics::HttpMetrics> http_metrics;

  Task<void> flush_last_used() {
    auto batch = authenticator->take_last_used();
    if (batch.empty()) co_return;
    try {
      co_await keys->touch(batch);
    } catch (const std::exception& e) {
      spdlog::warn("could not record key last-used times ({}); will retry", e.what());
      authenticator->restore_last_used(batch);
    }
  }

  Task<void> flush_last_used_loop() {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (;;) {
      timer.expires_after(kLastUsedFlushInterval);
      auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
      if (ec) co_return;
      co_await flush_last_used();
    }
  }
};

App::App(config::Config config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {
  auto& p = *parts_;
  p.storage = std::make_unique<Storage>(config_.database);
  if (config_.database.auto_migrate) {
    const auto report = p.storage->migrate();
    spdlog::info("migrations: {} applied now, {} already applied", report.applied.size(),
                 report.already_applied);
  }
  p.keys = std::make_unique<auth::CachingKeyStore>(p.storage->keys(), config_.auth.key_cache_ttl,
                                                   config_.auth.negative_cache_ttl);
  p.throttle = std::make_unique<auth::FailureThrottle>(config_.auth.fail_limit);
  p.authenticator = std::make_unique<auth::Authenticator>(*p.keys, *p.clock, *p.throttle);
  p.readiness = std::make_unique<store::ReadinessMonitor>(kReadinessInterval);
  p.readiness->add(p.storage->probe());

  const auto& pc = config_.providers;
  if (pc.default_provider == config::ProviderKind::openai) {
    auto endpoint = providers::parse_base_url(pc.openai.base_url);
    if (!endpoint) throw config::ConfigError("OPENAI_BASE_URL: not a valid http(s) URL");
    p.upstream_metrics = std::make_unique<metrics::UpstreamMetrics>(p.registry, "openai");
    p.upstream_client = std::make_unique<providers::UpstreamClient>(
        std::move(*endpoint),
        providers::UpstreamClientOptions{pc.upstream.max_connections, pc.upstream.connect_timeout,
                                         std::chrono::seconds(30), pc.openai.ca_file},
        p.upstream_metrics.get());
    p.openai = std::make_shared<providers::OpenAiProvider>(*p.upstream_client, openai_options(pc),
                                                           *p.upstream_metrics);
  }
  auto mock = std::make_shared<providers::MockProvider>(p.clock, pc.mock_latency);
  p.providers = std::make_unique<providers::ProviderRegistry>(
      mock, providers::MockProvider::models(), p.openai);
  p.models = std::make_unique<providers::ModelsCatalog>(providers::MockProvider::models(),
                                                        p.openai.get(), pc.models_cache_ttl);
  p.inference = std::make_unique<pipeline::InferencePipeline>(*p.providers);

  auto& auth = *p.authenticator;
  auto inference = [&](Endpoint endpoint) {
    return api::keyed(auth, api::inference_handler(*p.inference, endpoint));
  };
  p.router.add(Method::post, "/v1/responses", inference(Endpoint::responses))
      .add(Method::post, "/v1/chat/completions", inference(Endpoint::chat_completions))
      .add(Method::post, "/v1/embeddings", inference(Endpoint::embeddings))
      .add(Method::post, "/v1/images/generations", inference(Endpoint::images_generations))
      .add(Method::get, "/v1/models", api::keyed(auth, api::models_handler(*p.models)))
      .add(Method::get, "/healthz", api::healthz_handler())
      .add(Method::get, "/readyz", api::readyz_handler(*p.readiness))
      .add(Method::get, "/metrics", api::metrics_handler(p.registry, config_.metrics.token));

  std::vector<std::string> patterns;
  for (const auto& route : p.router.routes()) patterns.push_back(route.pattern);
  p.http_metrics = std::make_unique<metrics::HttpMetrics>(p.registry, patterns);
  p.server = std::make_unique<http::Server>(config_.server, p.router, *p.http_metrics);
  p.server->spawn([&p] { return p.readiness->run(); });
  p.server->spawn([&p] { return p.flush_last_used_loop(); });
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
  core::block_on(parts_->flush_last_used());
  spdlog::info("ai-gateway stopped");
  core::flush_logging();
  return 0;
}

}  // namespace agw::app
