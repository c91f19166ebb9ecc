// /metrics end to end: the exposition passes `promtool check metrics` with no lint problems
// after real traffic (SPEC §8), carries the core families, and honours METRICS_TOKEN.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;

namespace {

constexpr const char* kChatBody =
    R"({"model":"mock-1","messages":[{"role":"user","content":"hi"}]})";

// The promtool on PATH (or in the Debian location); empty when there is none.
std::string find_promtool() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    for (std::string dir; std::getline(ss, dir, ':');) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  dirs.emplace_back("/usr/bin");
  dirs.emplace_back("/usr/local/bin");
  for (const auto& dir : dirs) {
    const std::string candidate = dir + "/promtool";
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `promtool check metrics < file` on `text`; promtool prints lint problems on stderr.
CommandResult promtool_check(const std::string& promtool, const std::string& text) {
  char path[] = "/tmp/agw-metrics-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return {-1, "mkstemp failed"};
  close(fd);
  {
    std::ofstream out(path, std::ios::binary);
    out << text;
  }
  const std::string command = "'" + promtool + "' check metrics < '" + path + "' 2>&1";
  CommandResult result;
  if (FILE* pipe = popen(command.c_str(), "r")) {
    char buf[4096];
    std::size_t n = 0;
    while ((n = fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
    const int status = pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  } else {
    result.output = "popen failed";
  }
  unlink(path);
  return result;
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

// True when the exposition has a sample of `name` whose labels include every `labels` pair.
bool has_sample(const std::string& text, const std::string& name,
                const std::vector<std::string>& labels = {}) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0) continue;
    const char next = line.size() > name.size() ? line[name.size()] : '\0';
    if (next != '{' && next != ' ') continue;
    bool all = true;
    for (const auto& label : labels) all = all && line.find(label) != std::string::npos;
    if (all) return true;
  }
  return false;
}

}  // namespace

TEST(MetricsLint, PromtoolIsInstalledAndStrict) {
  const std::string promtool = find_promtool();
  ASSERT_FALSE(promtool.empty())
      << "promtool was not found on PATH (or in /usr/bin): it is required for the /metrics lint "
         "test. Install it with `apt-get install prometheus` (Debian 12 ships promtool in the "
         "prometheus package).";
  // A counter without the _total suffix is a lint problem: promtool must say so, or a green
  // result below would mean nothing.
  const CommandResult bad =
      promtool_check(promtool, "# HELP agw_bad Bad.\n# TYPE agw_bad counter\nagw_bad 1\n");
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_NE(bad.output.find("_total"), std::string::npos) << bad.output;
}

TEST(MetricsLint, ExpositionPassesPromtoolAfterTraffic) {
  const std::string promtool = find_promtool();
  ASSERT_FALSE(promtool.empty())
      << "promtool was not found on PATH (or in /usr/bin): install it with `apt-get install "
         "prometheus`.";

  GatewayProcess gw;
  HttpClient client(gw);  // sends the test key
  HttpClient anonymous(gw.port());
  // One of each outcome: successes, unknown route, wrong method, bad requests, missing key.
  EXPECT_EQ(client.get("/healthz").status, 200);
  const HttpResult chat = client.post_json("/v1/chat/completions", kChatBody);
  EXPECT_EQ(chat.status, 200) << chat.body;
  EXPECT_EQ(client.get("/v1/no-such-route").status, 404);
  const HttpResult wrong_method = client.request("DELETE", "/v1/chat/completions");
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_FALSE(wrong_method.header("allow").empty());
  EXPECT_EQ(client.post_json("/v1/chat/completions", "{not json").status, 400);
  EXPECT_EQ(anonymous.post_json("/v1/chat/completions", kChatBody).status, 401);
  {
    // A request Beast cannot parse: answered 400 before any route is known.
    RawConnection raw(gw.port());
    ASSERT_TRUE(raw.send("GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"));
    const std::string answer = raw.read_response(std::chrono::seconds(5));
    EXPECT_EQ(answer.rfind("HTTP/1.1 400 ", 0), 0u) << answer;
  }

  const HttpResult metrics = client.get("/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  EXPECT_EQ(metrics.header("content-type").rfind("text/plain", 0), 0u)
      << metrics.header("content-type");
  const std::string& text = metrics.body;

  const CommandResult lint = promtool_check(promtool, text);
  EXPECT_EQ(lint.exit_code, 0) << "promtool check metrics failed:\n" << lint.output;
  EXPECT_EQ(trim(lint.output), "") << "promtool lint output:\n" << lint.output;

  EXPECT_NE(text.find("# TYPE agw_http_requests_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE agw_http_request_duration_seconds histogram"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE agw_http_requests_in_flight gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE agw_build_info gauge"), std::string::npos) << text;

  // The traffic above is visible in the samples.
  EXPECT_TRUE(has_sample(text, "agw_http_requests_total",
                         {R"(route="/healthz")", R"(method="GET")", R"(status_class="2xx")"}))
      << text;
  EXPECT_TRUE(
      has_sample(text, "agw_http_requests_total",
                 {R"(route="/v1/chat/completions")", R"(method="POST")", R"(status_class="2xx")"}))
      << text;
  EXPECT_TRUE(
      has_sample(text, "agw_http_requests_total",
                 {R"(route="/v1/chat/completions")", R"(method="POST")", R"(status_class="4xx")"}))
      << text;
  EXPECT_TRUE(has_sample(text, "agw_http_requests_total", {R"(status_class="4xx")"})) << text;
  EXPECT_TRUE(has_sample(text, "agw_http_request_duration_seconds_bucket",
                         {R"(route="/v1/chat/completions")", R"(le="+Inf")"}))
      << text;
  EXPECT_TRUE(has_sample(text, "agw_http_requests_in_flight")) << text;
  EXPECT_TRUE(has_sample(text, "agw_build_info", {R"(version=")"})) << text;

  EXPECT_EQ(gw.stop(), 0);
}

TEST(MetricsAuth, TokenRequiredWhenConfigured) {
  GatewayProcess gw(std::map<std::string, std::string>{{"METRICS_TOKEN", "secret"}});
  HttpClient client(gw.port());

  for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
           {},
           {{"Authorization", "Bearer wrong"}},
           {{"Authorization", "Basic c2VjcmV0"}},
           {{"Authorization", "secret"}}}) {
    const HttpResult r = client.get("/metrics", headers);
    const std::string sent = headers.empty() ? "(none)" : headers.front().second;
    ASSERT_EQ(r.status, 401) << "Authorization: " << sent << "\n" << r.body;
    EXPECT_FALSE(r.header("x-request-id").empty());
    EXPECT_EQ(r.header("content-type").rfind("application/json", 0), 0u)
        << r.header("content-type");
    const auto body = nlohmann::json::parse(r.body, nullptr, false);
    ASSERT_TRUE(body.is_object()) << r.body;
    ASSERT_TRUE(body.contains("error") && body["error"].is_object()) << r.body;
    const auto& error = body["error"];
    EXPECT_TRUE(error["message"].is_string()) << r.body;
    EXPECT_EQ(error["type"], "authentication_error") << r.body;
    EXPECT_TRUE(error.contains("param")) << r.body;
    EXPECT_TRUE(error.contains("code")) << r.body;
    EXPECT_EQ(error["code"], "invalid_api_key") << r.body;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << "the token leaks: " << r.body;
    EXPECT_EQ(r.body.find("agw_build_info"), std::string::npos) << r.body;
  }

  // A client key is not the metrics token.
  HttpClient keyed(gw);
  EXPECT_EQ(keyed.get("/metrics").status, 401);

  const HttpResult ok = client.get("/metrics", {{"Authorization", "Bearer secret"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_NE(ok.body.find("# TYPE agw_build_info gauge"), std::string::npos) << ok.body;

  // Other routes stay open: the token guards /metrics only.
  EXPECT_EQ(client.get("/healthz").status, 200);
  EXPECT_EQ(gw.stop(), 0);
}

TEST(MetricsAuth, OpenWithoutToken) {
  GatewayProcess gw;
  HttpClient client(gw.port());
  const HttpResult r = client.get("/metrics");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("agw_build_info"), std::string::npos) << r.body;
  EXPECT_EQ(gw.stop(), 0);
}
