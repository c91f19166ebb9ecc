#include <gtest/gtest.h>

#include "agw/http/response_head.hpp"

using namespace agw::http;

TEST(ResponseHead, Http11KeepAliveNeedsNoConnectionHeader) {
  Response r;
  r.status = 200;
  r.header("x-agw-overhead-ms", "0.125");
  std::string head;
  write_response_head(head, r, 11, true, "req_1", 42);
  EXPECT_EQ(head,
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req_1\r\n"
            "x-agw-overhead-ms: 0.125\r\nContent-Length: 42\r\n\r\n");
}

TEST(ResponseHead, ClosingAnswersAndHttp10KeepAliveSayConnection) {
  Response r;
  r.status = 413;
  std::string head;
  write_response_head(head, r, 11, false, "id", 0);
  EXPECT_TRUE(head.starts_with("HTTP/1.1 413 Payload Too Large\r\n")) << head;
  EXPECT_NE(head.find("\r\nConnection: close\r\n"), std::string::npos) << head;

  head.clear();
  r.status = 200;
  write_response_head(head, r, 10, true, "id", 5);
  EXPECT_TRUE(head.starts_with("HTTP/1.0 200 OK\r\n")) << head;
  EXPECT_NE(head.find("\r\nConnection: keep-alive\r\n"), std::string::npos) << head;

  head.clear();
  write_response_head(head, r, 10, false, "id", 5);
  EXPECT_EQ(head.find("Connection:"), std::string::npos) << head;  // 1.0 closes by default
  EXPECT_TRUE(head.ends_with("Content-Length: 5\r\n\r\n")) << head;
}
