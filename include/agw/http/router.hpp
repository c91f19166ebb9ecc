#pragma once
// Method + path → handler. Patterns are literal segments and `{name}` segments.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "agw/core/task.hpp"
#include "agw/http/message.hpp"

namespace agw::http {

using Handler = std::function<Task<Response>(Request&)>;

struct Route {
  Method method;
  std::string pattern;  // also the metrics label, e.g. "/v1/jobs/{id}"
  Handler handler;
  std::size_t index = 0;  // position in registration order, for per-route metric slots
};

struct RouteMatch {
  enum class Kind { found, not_found, method_not_allowed } kind = Kind::not_found;
  const Route* route = nullptr;
  std::string allow;  // for method_not_allowed: "GET, POST"
  std::vector<std::pair<std::string_view, std::string_view>> params;
};

class Router {
 public:
  Router& add(Method method, std::string pattern, Handler handler);
  RouteMatch match(Method method, std::string_view path) const;
  const std::vector<Route>& routes() const noexcept { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace agw::http
