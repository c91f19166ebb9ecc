#include "agw/http/router.hpp"

namespace agw::http {
namespace {

// Matches `path` against `pattern` segment by segment, collecting `{name}` captures.
bool match_pattern(std::string_view pattern, std::string_view path,
                   std::vector<std::pair<std::string_view, std::string_view>>& params) {
  params.clear();
  while (true) {
    const auto pn = pattern.find('/', 1);
    const auto tn = path.find('/', 1);
    std::string_view pseg = pattern.substr(0, pn);
    std::string_view tseg = path.substr(0, tn);
    if (pseg.size() > 2 && pseg[1] == '{' && pseg.back() == '}') {
      if (tseg.size() < 2 || tseg[0] != '/') return false;
      params.emplace_back(pseg.substr(2, pseg.size() - 3), tseg.substr(1));
    } else if (pseg != tseg) {
      return false;
    }
    if (pn == std::string_view::npos || tn == std::string_view::npos) {
      return pn == std::string_view::npos && tn == std::string_view::npos;
    }
    pattern.remove_prefix(pn);
    path.remove_prefix(tn);
  }
}

}  // namespace

Router& Router::add(Method method, std::string pattern, Handler handler) {
  routes_.push_back(Route{method, std::move(pattern), std::move(handler), routes_.size()});
  return *this;
}

RouteMatch Router::match(Method method, std::string_view path) const {
  // HEAD is served by the GET route of the path (the server sends the head only).
  if (method == Method::head) method = Method::get;
  RouteMatch result;
  std::vector<std::pair<std::string_view, std::string_view>> params;
  for (const Route& route : routes_) {
    if (!match_pattern(route.pattern, path, params)) continue;
    if (route.method == method) {
      result.kind = RouteMatch::Kind::found;
      result.route = &route;
      result.params = std::move(params);
      return result;
    }
    result.kind = RouteMatch::Kind::method_not_allowed;
    if (!result.allow.empty()) result.allow += ", ";
    result.allow += method_name(route.method);
    if (route.method == Method::get) result.allow += ", HEAD";
  }
  return result;
}

}  // namespace agw::http
