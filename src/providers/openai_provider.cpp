#include "agw/providers/openai_provider.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <random>

#include "agw/core/error.hpp"
#include "agw/metrics/upstream_metrics.hpp"
#include "agw/providers/usage_reader.hpp"

namespace agw::providers {

using core::ApiError;
using core::ErrorCode;
using SteadyClock = std::chrono::steady_clock;
using RetryReason = metrics::UpstreamMetrics::RetryReason;

namespace {

double unit_random() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(generator);
}

ApiError failure_to_error(const UpstreamFailure& failure) {
  if (failure.kind() == UpstreamFailure::Kind::timeout) {
    return ApiError(ErrorCode::upstream_timeout, "The upstream provider did not answer in time.");
  }
  return ApiError(ErrorCode::upstream_error,
                  failure.kind() == UpstreamFailure::Kind::broken_response
                      ? "The upstream provider's answer broke off."
                      : "The upstream provider could not be reached.");
}

}  // namespace

OpenAiProvider::OpenAiProvider(UpstreamClient& client, OpenAiOptions options,
                               metrics::UpstreamMetrics& metrics)
    : client_(client), options_(std::move(options)), metrics_(metrics) {}

std::vector<std::pair<std::string, std::string>> OpenAiProvider::headers(
    std::string_view request_id) const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!options_.api_key.empty()) out.emplace_back("Authorization", "Bearer " + options_.api_key);
  if (!options_.http_referer.empty()) out.emplace_back("HTTP-Referer", options_.http_referer);
  if (!options_.title.empty()) out.emplace_back("X-Title", options_.title);
  if (!request_id.empty()) out.emplace_back("X-Request-Id", std::string(request_id));
  return out;
}

Task<IncomingResponse> OpenAiProvider::send_with_retries(const OutgoingRequest& request,
                                                         int& attempts) {
  const auto deadline = SteadyClock::now() + options_.timeout;
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  for (attempts = 1;; ++attempts) {
    const auto started = SteadyClock::now();
    std::optional<IncomingResponse> response;
    std::optional<UpstreamFailure> failure;
    try {
      response = co_await client_.send(request, deadline);
    } catch (const UpstreamFailure& e) {
      failure = e;
    }
    metrics_.attempt(response ? response->status : 0,
                     std::chrono::duration<double>(SteadyClock::now() - started).count());

    const bool retryable = response ? is_retryable_status(response->status) : failure->retryable();
    if (!retryable || attempts > options_.retry.max_retries) {
      if (failure) {
        spdlog::warn("upstream {} failed after {} attempt(s): {}", request.target, attempts,
                     failure->what());
        throw failure_to_error(*failure);
      }
      co_return std::move(*response);
    }
    const auto retry_after =
        response ? parse_retry_after(response->retry_after, std::chrono::system_clock::now())
                 : std::nullopt;
    const auto wait = options_.retry.wait_before(attempts, unit_random(), retry_after);
    if (SteadyClock::now() + wait >= deadline) {  // never retry past the total timeout
      if (failure) throw failure_to_error(*failure);
      co_return std::move(*response);
    }
    metrics_.retry(response ? RetryReason::status : RetryReason::connection);
    pause.expires_after(wait);
    co_await pause.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

Task<ProviderResponse> OpenAiProvider::call(Endpoint endpoint, ProviderRequest request) {
  OutgoingRequest outgoing;
  outgoing.method = http::Method::post;
  outgoing.target = upstream_path(client_.endpoint(), endpoint_path(endpoint));
  outgoing.body = request.raw_body;
  outgoing.headers = headers(request.request_id);

  ProviderResponse out;
  IncomingResponse answer = co_await send_with_retries(outgoing, out.attempts);
  if (answer.status >= 500) {
    throw ApiError(ErrorCode::upstream_error,
                   "The upstream provider answered " + std::to_string(answer.status) + " after " +
                       std::to_string(out.attempts) + " attempt(s).");
  }
  out.status = answer.status;
  if (answer.status >= 200 && answer.status < 300) {
    const auto read = read_usage(answer.body);
    if (!read) {
      throw ApiError(ErrorCode::upstream_error, "The upstream provider returned an invalid answer.");
    }
    out.usage = read->usage;
    if (endpoint == Endpoint::images_generations) out.usage.images = read->data_items;
    out.content_type = "application/json";
  } else if (!answer.content_type.empty()) {
    out.content_type = std::move(answer.content_type);  // an upstream 4xx, passed through as it came
  }
  out.body = std::move(answer.body);
  co_return out;
}

Task<std::vector<ModelInfo>> OpenAiProvider::list_models() {
  OutgoingRequest outgoing;
  outgoing.method = http::Method::get;
  outgoing.target = upstream_path(client_.endpoint(), "models");
  outgoing.headers = headers({});
  int attempts = 0;
  const IncomingResponse answer = co_await send_with_retries(outgoing, attempts);
  if (answer.status != 200) {
    throw ApiError(ErrorCode::upstream_error,
                   "The upstream's model list answered " + std::to_string(answer.status) + ".");
  }
  const auto parsed = nlohmann::json::parse(answer.body, nullptr, false);
  const auto data = parsed.is_object() ? parsed.find("data") : parsed.end();
  if (!parsed.is_object() || data == parsed.end() || !data->is_array()) {
    throw ApiError(ErrorCode::upstream_error, "The upstream's model list is not a list.");
  }
  std::vector<ModelInfo> models;
  for (const auto& item : *data) {
    if (!item.is_object() || !item.contains("id") || !item["id"].is_string()) continue;
    ModelInfo model;
    model.id = item["id"].get<std::string>();
    model.created = item.contains("created") && item["created"].is_number_integer()
                        ? item["created"].get<std::int64_t>()
                        : 0;
    model.owned_by = item.contains("owned_by") && item["owned_by"].is_string()
                         ? item["owned_by"].get<std::string>()
                         : "upstream";
    models.push_back(std::move(model));
  }
  co_return models;
}

}  // namespace agw::providers
