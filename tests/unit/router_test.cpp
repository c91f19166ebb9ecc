#include <gtest/gtest.h>

#include "agw/http/router.hpp"

using namespace agw::http;

namespace {
Handler noop() {
  return [](Request&) -> agw::Task<Response> { co_return Response{}; };
}
}  // namespace

TEST(Router, MatchesLiteralAndParameterRoutes) {
  Router router;
  router.add(Method::post, "/v1/jobs", noop()).add(Method::get, "/v1/jobs/{id}", noop());
  auto m = router.match(Method::get, "/v1/jobs/job_123");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.route->pattern, "/v1/jobs/{id}");
  ASSERT_EQ(m.params.size(), 1u);
  EXPECT_EQ(m.params[0].first, "id");
  EXPECT_EQ(m.params[0].second, "job_123");
  EXPECT_EQ(router.match(Method::post, "/v1/jobs").route->pattern, "/v1/jobs");
}

TEST(Router, UnknownPathsAreNotFound) {
  Router router;
  router.add(Method::get, "/v1/jobs/{id}", noop()).add(Method::get, "/healthz", noop());
  EXPECT_EQ(router.match(Method::get, "/v1/jobs").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(router.match(Method::get, "/v1/jobs/").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(router.match(Method::get, "/v1/jobs/a/b").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(router.match(Method::get, "/healthz/").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(router.match(Method::get, "/").kind, RouteMatch::Kind::not_found);
  EXPECT_EQ(router.match(Method::get, "").kind, RouteMatch::Kind::not_found);
}

TEST(Router, WrongMethodListsAllowedMethods) {
  Router router;
  router.add(Method::post, "/v1/jobs", noop()).add(Method::get, "/v1/jobs", noop());
  auto m = router.match(Method::del, "/v1/jobs");
  EXPECT_EQ(m.kind, RouteMatch::Kind::method_not_allowed);
  EXPECT_EQ(m.allow, "POST, GET, HEAD");
}

TEST(Router, HeadIsServedByTheGetRoute) {
  Router router;
  router.add(Method::get, "/healthz", noop()).add(Method::post, "/v1/jobs", noop());
  const auto m = router.match(Method::head, "/healthz");
  ASSERT_EQ(m.kind, RouteMatch::Kind::found);
  EXPECT_EQ(m.route->method, Method::get);
  EXPECT_EQ(router.match(Method::head, "/v1/jobs").kind, RouteMatch::Kind::method_not_allowed);
}
