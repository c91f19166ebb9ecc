#include "agw/core/request_id.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

using agw::core::choose_request_id;
using agw::core::is_acceptable_request_id;
using agw::core::new_request_id;

TEST(RequestId, AcceptsSafeIdsUpTo128Characters) {
  EXPECT_TRUE(is_acceptable_request_id("a"));
  EXPECT_TRUE(is_acceptable_request_id("req_0123456789abcdef"));
  EXPECT_TRUE(is_acceptable_request_id("ABC.def_123:456-789"));
  EXPECT_TRUE(is_acceptable_request_id("550e8400-e29b-41d4-a716-446655440000"));
  EXPECT_TRUE(is_acceptable_request_id(std::string(128, 'x')));
  const std::string all = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-";
  EXPECT_TRUE(is_acceptable_request_id(all));
}

TEST(RequestId, RefusesEmptyTooLongAndUnsafeIds) {
  EXPECT_FALSE(is_acceptable_request_id(""));
  EXPECT_FALSE(is_acceptable_request_id(std::string(129, 'x')));
  EXPECT_FALSE(is_acceptable_request_id("has space"));
  EXPECT_FALSE(is_acceptable_request_id("crlf\r\nx-injected: 1"));
  EXPECT_FALSE(is_acceptable_request_id("line\n"));
  EXPECT_FALSE(is_acceptable_request_id("tab\t"));
  EXPECT_FALSE(is_acceptable_request_id("caf\xc3\xa9"));   // é in UTF-8
  EXPECT_FALSE(is_acceptable_request_id("\xe2\x80\x8b"));  // zero-width space
  EXPECT_FALSE(is_acceptable_request_id(std::string("nul\0byte", 8)));
  for (const char c : std::string("/\\\"'<>{}[]()!@#$%^&*+=,;?`~|")) {
    EXPECT_FALSE(is_acceptable_request_id(std::string("id") + c)) << c;
  }
}

TEST(RequestId, NewIdsHaveTheDocumentedFormat) {
  const std::string id = new_request_id();
  ASSERT_EQ(id.size(), 4u + 32u);
  EXPECT_EQ(id.substr(0, 4), "req_");
  for (const char c : id.substr(4)) {
    EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << id;
  }
  EXPECT_TRUE(is_acceptable_request_id(id));
}

TEST(RequestId, NewIdsAreUnique) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(new_request_id());
  EXPECT_EQ(ids.size(), 10000u);
}

TEST(RequestId, NewIdsAreUniqueAcrossThreads) {
  // Each thread has its own generator: they must not share a seed.
  std::vector<std::set<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread) {
    threads.emplace_back([&ids] {
      for (int i = 0; i < 1000; ++i) ids.insert(new_request_id());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& ids : per_thread) all.insert(ids.begin(), ids.end());
  EXPECT_EQ(all.size(), 4000u);
}

TEST(RequestId, ChooseEchoesAcceptableIdsAndReplacesOthers) {
  EXPECT_EQ(choose_request_id("client-id-1"), "client-id-1");
  const std::string replaced = choose_request_id("bad id");
  EXPECT_NE(replaced, "bad id");
  EXPECT_TRUE(replaced.starts_with("req_"));
  EXPECT_TRUE(choose_request_id("").starts_with("req_"));
  EXPECT_TRUE(choose_request_id(std::string(129, 'a')).starts_with("req_"));
}
