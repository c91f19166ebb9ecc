// Every client error in OpenAI's envelope, with its status and code (SPEC §2).
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>

#include "e2e/e2e_helpers.hpp"
#include "support/gateway_process.hpp"
#include "support/http_client.hpp"

using namespace agw::test;
using Env = std::map<std::string, std::string>;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMaxBody = 4096;

class Errors : public SharedGatewayTest<Errors> {
 public:
  static std::map<std::string, std::string> gateway_env() {
    return {{"MAX_BODY_BYTES", std::to_string(kMaxBody)}};
  }
};

}  // namespace

TEST_F(Errors, MalformedJsonIs400InvalidJson) {
  const auto r = client_->post_json("/v1/chat/completions", R"({"model": "mock-1",)");
  expect_error(r, 400, "invalid_json");
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "invalid_request_error");
  expect_error(client_->post_json("/v1/responses", ""), 400, "invalid_json");
}

TEST_F(Errors, NonObjectBodyIs400) {
  for (const char* body : {R"(["mock-1"])", R"("mock-1")", "42", "null"}) {
    SCOPED_TRACE(body);
    expect_error(client_->post_json("/v1/responses", body), 400, "invalid_body");
  }
}

TEST_F(Errors, MissingModelIs400MissingModel) {
  const auto r = client_->post_json("/v1/chat/completions", R"({"messages":[]})");
  expect_error(r, 400, "missing_model");
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "model");
}

TEST_F(Errors, NonStringModelIs400InvalidModel) {
  for (const char* body : {R"({"model":42,"input":"x"})", R"({"model":["mock-1"],"input":"x"})",
                           R"({"model":"","input":"x"})"}) {
    SCOPED_TRACE(body);
    expect_error(client_->post_json("/v1/responses", body), 400, "invalid_model");
  }
}

TEST_F(Errors, UnknownModelIs404ModelNotFound) {
  for (const char* model : {"gpt-4o", "mock-does-not-exist"}) {
    SCOPED_TRACE(model);
    const auto r =
        client_->post_json("/v1/responses", json{{"model", model}, {"input", "x"}}.dump());
    expect_error(r, 404, "model_not_found");
    EXPECT_EQ(json::parse(r.body)["error"]["type"], "not_found_error");
    EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find(model),
              std::string::npos);
  }
}

TEST_F(Errors, ModelOnTheWrongEndpointIs400) {
  const auto r =
      client_->post_json("/v1/embeddings", json{{"model", "mock-1"}, {"input", "x"}}.dump());
  expect_error(r, 400, "unsupported_model");
}

TEST_F(Errors, ProviderValidationErrorsUseTheEnvelope) {
  const auto r = client_->post_json("/v1/chat/completions", json{{"model", "mock-1"}}.dump());
  expect_error(r, 400, "missing_required_parameter");
  EXPECT_EQ(json::parse(r.body)["error"]["param"], "messages");
  expect_error(
      client_->post_json(
          "/v1/embeddings",
          json{{"model", "mock-embedding-1"}, {"input", "x"}, {"encoding_format", "hex"}}.dump()),
      400, "invalid_value");
}

TEST_F(Errors, WrongContentTypeIs400) {
  const auto r =
      client_->request("POST", "/v1/responses", json{{"model", "mock-1"}, {"input", "x"}}.dump(),
                       {{"Content-Type", "text/plain"}});
  expect_error(r, 400, "unsupported_content_type");
}

TEST_F(Errors, UnknownRouteIs404WithOrWithoutAuthorization) {
  HttpClient anonymous(port());
  expect_error(anonymous.get("/v1/nothing-here"), 404, "not_found");
  expect_error(anonymous.get("/v1/nothing-here", {{"Authorization", "Bearer sk-anything"}}), 404,
               "not_found");
  expect_error(client_->get("/v1/nothing-here"), 404, "not_found");  // with a valid key
  expect_error(client_->post_json("/v2/chat/completions", "{}", {{"X-API-Key", "agw_abc.def"}}),
               404, "not_found");
  const auto r = client_->get("/");
  expect_error(r, 404, "not_found");
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "not_found_error");
}

TEST_F(Errors, KeyedRouteWithoutAKeyIs401) {
  HttpClient anonymous(port());
  const auto r =
      anonymous.post_json("/v1/responses", json{{"model", "mock-1"}, {"input", "x"}}.dump());
  expect_error(r, 401, "invalid_api_key");
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "authentication_error");
}

TEST_F(Errors, WrongMethodIs405WithAllow) {
  HttpClient anonymous(port());  // routing comes before authentication
  auto r = anonymous.get("/v1/chat/completions");
  expect_error(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "POST");
  r = client_->request("DELETE", "/healthz");
  expect_error(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "GET, HEAD");
  r = client_->post_json("/v1/models", "{}");
  expect_error(r, 405, "method_not_allowed");
  EXPECT_EQ(r.header("allow"), "GET, HEAD");
}

TEST_F(Errors, HeadAnswersTheGetHeadWithoutABody) {
  RawConnection raw(port());
  ASSERT_TRUE(raw.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  const std::string both = raw.read_all(std::chrono::milliseconds(500));
  // The HEAD answer announces the GET body's length but carries none: the next bytes are the
  // GET's answer.
  ASSERT_TRUE(both.starts_with("HTTP/1.1 200 OK\r\n")) << both;
  const auto second = both.find("HTTP/1.1 200 OK", 10);
  ASSERT_NE(second, std::string::npos) << both;
  EXPECT_NE(both.substr(0, second).find("Content-Length: 15"), std::string::npos) << both;
  EXPECT_TRUE(both.ends_with(R"({"status":"ok"})")) << both;
  EXPECT_EQ(both.substr(0, second).find("status"), std::string::npos) << both;
}

TEST_F(Errors, Http11WithoutHostIs400) {
  RawConnection raw(port());
  ASSERT_TRUE(raw.send("GET /healthz HTTP/1.1\r\n\r\n"));
  expect_raw_error(raw.read_response(std::chrono::seconds(2)), 400, "bad_request");
}

TEST_F(Errors, ErrorsKeepTheConnectionAlive) {
  expect_error(client_->get("/v1/nothing-here"), 404, "not_found");
  const auto port = client_->local_port();
  expect_error(client_->post_json("/v1/responses", "{"), 400, "invalid_json");
  EXPECT_EQ(client_->get("/healthz").status, 200);
  EXPECT_EQ(client_->local_port(), port);
}

TEST_F(Errors, HeadersOverTheLimitAre431) {
  // MAX_HEADER_BYTES defaults to 16 KiB.
  const auto r = client_->get("/healthz", {{"X-Padding", std::string(20 * 1024, 'a')}});
  expect_error(r, 431, "headers_too_large");
  EXPECT_FALSE(r.keep_alive);
  // Headers just under the limit are fine.
  HttpClient fresh(port());
  EXPECT_EQ(fresh.get("/healthz", {{"X-Padding", std::string(12 * 1024, 'a')}}).status, 200);
}

TEST_F(Errors, BodyAtTheLimitIsAcceptedAndOneByteMoreIs413) {
  std::string body = json{{"model", "mock-1"}, {"input", "x"}}.dump();
  body.insert(body.size() - 1, std::string(kMaxBody - body.size(), ' '));
  ASSERT_EQ(body.size(), kMaxBody);
  EXPECT_EQ(client_->post_json("/v1/responses", body).status, 200);
  body.insert(body.size() - 1, " ");
  const auto r = client_->post_json("/v1/responses", body);
  expect_error(r, 413, "payload_too_large");
  EXPECT_FALSE(r.keep_alive);
}

TEST_F(Errors, ChunkedBodyOverTheLimitIs413) {
  RawConnection raw(port());
  std::string request =
      "POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n";
  const std::string chunk(3000, ' ');
  for (int i = 0; i < 2; ++i) request += "bb8\r\n" + chunk + "\r\n";  // 0xbb8 = 3000
  request += "0\r\n\r\n";
  ASSERT_TRUE(raw.send(request));
  const std::string response = raw.read_response(10s);
  expect_raw_error(response, 413, "payload_too_large");
  EXPECT_TRUE(raw.closed_by_peer(10s));
}

TEST_F(Errors, ChunkedBodyUnderTheLimitIsServed) {
  RawConnection raw(port());
  const std::string body = json{{"model", "mock-1"}, {"input", "chunked"}}.dump();
  const std::string half = body.substr(0, body.size() / 2), rest = body.substr(body.size() / 2);
  auto hex = [](std::size_t n) {
    std::ostringstream out;
    out << std::hex << n;
    return out.str();
  };
  ASSERT_TRUE(
      raw.send("POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Transfer-Encoding: chunked\r\nAuthorization: Bearer " +
               gateway_->api_key() + "\r\n\r\n" + hex(half.size()) + "\r\n" + half + "\r\n" +
               hex(rest.size()) + "\r\n" + rest + "\r\n0\r\n\r\n"));
  const std::string response = raw.read_response(10s);
  EXPECT_TRUE(response.starts_with("HTTP/1.1 200 ")) << response;
  EXPECT_NE(response.find("\"object\":\"response\""), std::string::npos) << response;
}

TEST_F(Errors, MalformedHttpIs400) {
  for (const std::string& request :
       {std::string("THIS IS NOT HTTP\r\n\r\n"),
        std::string("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"),
        std::string("POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"),
        // Request smuggling: both framings, or two different lengths.
        std::string("POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        std::string("POST /v1/responses HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                    "Content-Length: 6\r\n\r\nhello!"),
        std::string("GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n")}) {
    SCOPED_TRACE(request);
    RawConnection raw(port());
    ASSERT_TRUE(raw.send(request));
    const std::string response = raw.read_response(10s);
    expect_raw_error(response, 400, "bad_request");
    EXPECT_TRUE(raw.closed_by_peer(10s));
  }
  // The server is unharmed.
  EXPECT_EQ(client_->get("/healthz").status, 200);
}

TEST_F(Errors, MalformedChunkedBodyIs400) {
  RawConnection raw(port());
  ASSERT_TRUE(raw.send(
      "POST /v1/responses HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n"));
  expect_raw_error(raw.read_response(10s), 400, "bad_request");
}
