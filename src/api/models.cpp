#include <nlohmann/json.hpp>

#include "agw/api/handlers.hpp"
#include "agw/http/responses.hpp"

namespace agw::api {

KeyedHandler models_handler(providers::ModelsCatalog& catalog) {
  return [&catalog](http::Request&, const auth::KeyRecord& key) -> Task<http::Response> {
    const auto models = co_await catalog.list();
    nlohmann::json data = nlohmann::json::array();
    for (const auto& model : models) {
      if (!key.allows_model(model.id)) continue;
      data.push_back({{"id", model.id},
                      {"object", "model"},
                      {"created", model.created},
                      {"owned_by", model.owned_by}});
    }
    co_return http::json_response(
        200, nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump());
  };
}

}  // namespace agw::api
