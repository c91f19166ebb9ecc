// PgKeyStore over PgPool against a real, freshly migrated database; the pool's behaviour when
// PostgreSQL is unreachable or slow; what create-key leaves in the row.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <thread>

#include "agw/auth/key_format.hpp"
#include "agw/backends/pg/pg_key_store.hpp"
#include "agw/backends/pg/pg_migrator.hpp"
#include "agw/backends/pg/pool.hpp"
#include "agw/core/block_on.hpp"
#include "agw/store/migrations.hpp"
#include "support/gateway_process.hpp"
#include "support/test_database.hpp"

using namespace agw;
using agw::core::block_on;
using agw::test::query_scalar;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

// A loopback TCP socket: listening (accepts into the backlog, never answers) or bound and closed.
class Socket {
 public:
  explicit Socket(bool listen_on_it) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("bind failed");
    }
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    if (listen_on_it) {
      ::listen(fd_, 16);
    } else {
      close(fd_);
      fd_ = -1;
    }
  }
  ~Socket() { close_now(); }
  // Closing a listener resets the connections waiting in its backlog: a client stuck on one
  // fails at once.
  void close_now() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  std::string url() const {
    return "postgresql://agw@127.0.0.1:" + std::to_string(port_) + "/nowhere";
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

auth::KeyRecord make_record(bool legacy = false) {
  auth::KeyRecord r;
  r.id = auth::new_key_id();
  r.name = "store-test";
  r.secret_hash = auth::sha256_hex(r.id + "-secret");
  r.legacy = legacy;
  r.created_at = 1'700'000'000;
  return r;
}

double seconds_since(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

class PgKeyStoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    url_ = agw::test::create_database("keystore");
    backends::pg::migrate(url_, store::embedded_migrations("pg"));
  }

  backends::pg::PgPool pool_{url_, 2, 5000ms};
  backends::pg::PgKeyStore store_{pool_};
  static inline std::string url_;
};

}  // namespace

TEST_F(PgKeyStoreTest, InsertedKeyIsFoundByIdWithEveryField) {
  auth::KeyRecord r = make_record();
  r.name = "full \"quoted\" name ü";
  r.expires_at = 1'800'000'000;
  r.limits.rpm = 60;
  r.limits.tpm = 0;
  r.limits.budget_micro_usd = 12'500'000;
  r.limits.budget_period = auth::BudgetPeriod::daily;
  r.limits.allowed_models = {"mock-1", "mock-embedding-1"};
  block_on(store_.insert(r));

  const auto found = block_on(store_.find_by_id(r.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, r.id);
  EXPECT_EQ(found->name, r.name);
  EXPECT_EQ(found->secret_hash, r.secret_hash);
  EXPECT_FALSE(found->legacy);
  EXPECT_EQ(found->created_at, r.created_at);
  EXPECT_EQ(found->expires_at, r.expires_at);
  EXPECT_FALSE(found->revoked_at);
  EXPECT_FALSE(found->last_used_at);
  EXPECT_EQ(found->limits.rpm, 60);
  EXPECT_EQ(found->limits.tpm, 0);
  EXPECT_EQ(found->limits.budget_micro_usd, 12'500'000);
  EXPECT_EQ(found->limits.budget_period, auth::BudgetPeriod::daily);
  EXPECT_EQ(found->limits.allowed_models, r.limits.allowed_models);
}

TEST_F(PgKeyStoreTest, UnsetLimitsStayUnset) {
  const auth::KeyRecord r = make_record();
  block_on(store_.insert(r));
  const auto found = block_on(store_.find_by_id(r.id));
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->limits.rpm);
  EXPECT_FALSE(found->limits.tpm);
  EXPECT_FALSE(found->limits.budget_micro_usd);
  EXPECT_EQ(found->limits.budget_period, auth::BudgetPeriod::monthly);
  EXPECT_TRUE(found->limits.allowed_models.empty());
  EXPECT_FALSE(found->expires_at);
}

TEST_F(PgKeyStoreTest, UnknownIdsAreAbsentNotErrors) {
  EXPECT_FALSE(block_on(store_.find_by_id("nosuchid0000")));
  EXPECT_FALSE(block_on(store_.find_by_id("")));
  EXPECT_FALSE(block_on(store_.find_by_id("x' OR '1'='1")));
  EXPECT_FALSE(block_on(store_.find_legacy(auth::sha256_hex("nothing"))));
}

TEST_F(PgKeyStoreTest, DuplicateIdIsRefused) {
  const auth::KeyRecord r = make_record();
  block_on(store_.insert(r));
  EXPECT_THROW(block_on(store_.insert(r)), std::invalid_argument);
  // The pool is still fine after the failed transaction.
  EXPECT_TRUE(block_on(store_.find_by_id(r.id)));
}

TEST_F(PgKeyStoreTest, LegacyKeysAreFoundOnlyByTheirHash) {
  auth::KeyRecord r = make_record(/*legacy=*/true);
  r.secret_hash = auth::sha256_hex("legacy-key-" + r.id);
  block_on(store_.insert(r));
  const auto found = block_on(store_.find_legacy(r.secret_hash));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, r.id);
  EXPECT_TRUE(found->legacy);
  // Not through the id (a legacy key has no id part to present).
  EXPECT_FALSE(block_on(store_.find_by_id(r.id)));
  // A modern key's hash is not a legacy key.
  const auth::KeyRecord modern = make_record();
  block_on(store_.insert(modern));
  EXPECT_FALSE(block_on(store_.find_legacy(modern.secret_hash)));
  // The same legacy key cannot be imported twice.
  auth::KeyRecord again = make_record(/*legacy=*/true);
  again.secret_hash = r.secret_hash;
  EXPECT_THROW(block_on(store_.insert(again)), std::invalid_argument);
}

TEST_F(PgKeyStoreTest, ListHoldsEveryKeyOldestFirst) {
  auth::KeyRecord older = make_record();
  older.created_at = 1'600'000'000;
  auth::KeyRecord newer = make_record();
  newer.created_at = 1'600'000'100;
  block_on(store_.insert(newer));
  block_on(store_.insert(older));
  const auto all = block_on(store_.list());
  const auto pos = [&](const std::string& id) {
    return std::find_if(all.begin(), all.end(), [&](const auto& k) { return k.id == id; }) -
           all.begin();
  };
  ASSERT_LT(pos(older.id), static_cast<long>(all.size()));
  ASSERT_LT(pos(newer.id), static_cast<long>(all.size()));
  EXPECT_LT(pos(older.id), pos(newer.id));
}

TEST_F(PgKeyStoreTest, RevokeIsIdempotentAndKeepsTheFirstTime) {
  const auth::KeyRecord r = make_record();
  block_on(store_.insert(r));
  EXPECT_TRUE(block_on(store_.revoke(r.id, 1'700'000'500)));
  auto found = block_on(store_.find_by_id(r.id));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->revoked_at, 1'700'000'500);
  EXPECT_FALSE(found->active_at(1'700'000'600));
  EXPECT_TRUE(block_on(store_.revoke(r.id, 1'700'000'900)));
  found = block_on(store_.find_by_id(r.id));
  EXPECT_EQ(found->revoked_at, 1'700'000'500);
  EXPECT_FALSE(block_on(store_.revoke("nosuchid0000", 1'700'000'500)));
}

TEST_F(PgKeyStoreTest, TouchKeepsTheLatestTime) {
  const auth::KeyRecord a = make_record();
  const auth::KeyRecord b = make_record();
  block_on(store_.insert(a));
  block_on(store_.insert(b));
  block_on(store_.touch({{a.id, 1'700'000'100}, {b.id, 1'700'000'200}}));
  EXPECT_EQ(block_on(store_.find_by_id(a.id))->last_used_at, 1'700'000'100);
  EXPECT_EQ(block_on(store_.find_by_id(b.id))->last_used_at, 1'700'000'200);
  // An older time (a batch that arrives late) never moves it back.
  block_on(store_.touch({{a.id, 1'700'000'050}}));
  EXPECT_EQ(block_on(store_.find_by_id(a.id))->last_used_at, 1'700'000'100);
  block_on(store_.touch({{a.id, 1'700'000'300}, {"nosuchid0000", 1'700'000'300}}));
  EXPECT_EQ(block_on(store_.find_by_id(a.id))->last_used_at, 1'700'000'300);
  EXPECT_EQ(block_on(store_.find_by_id(b.id))->last_used_at, 1'700'000'200);
  block_on(store_.touch({}));
}

TEST_F(PgKeyStoreTest, HealthProbeAnswers) {
  backends::pg::PgHealthProbe probe(pool_);
  EXPECT_EQ(probe.name(), "postgres");
  EXPECT_NO_THROW(block_on(probe.ping()));
}

TEST_F(PgKeyStoreTest, CreateKeyStoresOnlyTheHashOfTheSecret) {
  const auto result = agw::test::run_binary({"create-key", "--name", "hash-check", "--json"},
                                            {{"DATABASE_URL", url_}});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto printed = nlohmann::json::parse(result.output);
  const std::string key = printed.at("key");
  const std::string id = printed.at("id");
  ASSERT_TRUE(key.starts_with("agw_" + id + ".")) << key;
  EXPECT_TRUE(std::regex_match(key, std::regex(R"(^agw_[0-9A-Za-z]{12}\.[A-Za-z0-9_-]{43}$)")))
      << key;
  const std::string secret = key.substr(key.find('.') + 1);
  ASSERT_GE(secret.size(), 43u);

  const std::string row =
      query_scalar(url_, "SELECT row_to_json(k)::text FROM api_keys k WHERE id = '" + id + "'");
  ASSERT_FALSE(row.empty());
  EXPECT_EQ(row.find(secret), std::string::npos) << row;
  EXPECT_EQ(row.find(secret.substr(0, 16)), std::string::npos) << row;
  EXPECT_EQ(row.find(key), std::string::npos) << row;
  EXPECT_EQ(query_scalar(url_, "SELECT secret_hash FROM api_keys WHERE id = '" + id + "'"),
            auth::sha256_hex(secret));
  // And the stored hash verifies the key through the store.
  const auto found = block_on(store_.find_by_id(id));
  ASSERT_TRUE(found);
  EXPECT_TRUE(auth::hashes_equal(found->secret_hash, auth::sha256_hex(secret)));
  EXPECT_EQ(found->name, "hash-check");
}

TEST(PgPool, ClosedPortFailsFastWithStoreUnavailable) {
  const Socket closed(/*listen_on_it=*/false);
  backends::pg::PgPool pool(closed.url(), 1, 500ms);
  backends::pg::PgKeyStore keys(pool);
  const auto start = SteadyClock::now();
  EXPECT_THROW(block_on(keys.find_by_id("abc")), store::StoreUnavailable);
  EXPECT_LT(seconds_since(start), 1.0);
  backends::pg::PgHealthProbe probe(pool);
  EXPECT_THROW(block_on(probe.ping()), store::StoreUnavailable);
  EXPECT_THROW(block_on(keys.list()), store::StoreUnavailable);
}

TEST(PgPool, SilentServerTimesOutWithinTheDbTimeout) {
  // Accepts TCP connections but never speaks: the connection attempt hangs, the call must not.
  Socket silent(/*listen_on_it=*/true);
  backends::pg::PgPool pool(silent.url(), 1, 300ms);
  backends::pg::PgKeyStore keys(pool);
  // On a loop that keeps running, as the gateway's does.
  boost::asio::io_context loop;
  auto guard = boost::asio::make_work_guard(loop);
  std::thread thread([&loop] { loop.run(); });
  const auto start = SteadyClock::now();
  auto answer = boost::asio::co_spawn(loop, keys.find_by_id("abc"), boost::asio::use_future);
  answer.wait();
  const double elapsed = seconds_since(start);
  EXPECT_THROW(answer.get(), store::StoreUnavailable);
  EXPECT_GE(elapsed, 0.25);
  EXPECT_LT(elapsed, 0.8);
  silent.close_now();  // lets the pool thread's connection attempt end now
  guard.reset();
  thread.join();
}

TEST(PgPool, TimedOutCallOnAPrivateContextIsSafe) {
  // block_on's io_context ends with the coroutine; the job still running on the pool thread
  // must not post into it afterwards (CLI commands, the last flush at shutdown).
  const Socket silent(/*listen_on_it=*/true);
  backends::pg::PgPool pool(silent.url(), 1, 200ms);
  backends::pg::PgKeyStore keys(pool);
  EXPECT_THROW(block_on(keys.find_by_id("abc")), store::StoreUnavailable);
  EXPECT_THROW(block_on(keys.list()), store::StoreUnavailable);
}

TEST_F(PgKeyStoreTest, SlowQueryTimesOutAndThePoolRecovers) {
  backends::pg::PgPool pool(url_, 1, 300ms);
  auto slow = [](pqxx::connection_base& c) {
    pqxx::nontransaction txn(c);
    txn.exec("SELECT pg_sleep(3)");
    return 1;
  };
  const auto start = SteadyClock::now();
  EXPECT_THROW(block_on(pool.run(std::move(slow))), store::StoreUnavailable);
  EXPECT_LT(seconds_since(start), 0.8);
  // statement_timeout ends the query on the server too, so the one connection comes back.
  auto quick = [](pqxx::connection_base& c) {
    pqxx::nontransaction txn(c);
    return txn.exec("SELECT 41 + 1")[0][0].as<int>();
  };
  int answer = 0;
  for (int attempt = 0; attempt < 20 && answer == 0; ++attempt) {
    try {
      auto again = quick;
      answer = block_on(pool.run(std::move(again)));
    } catch (const store::StoreUnavailable&) {  // still busy with the slow one: retry
    }
  }
  EXPECT_EQ(answer, 42);
  EXPECT_LT(seconds_since(start), 2.5);
}

TEST(PgPool, ServesAgainAtOnceAfterPostgresRestarts) {
  agw::test::OwnPostgres postgres;
  backends::pg::PgPool pool(postgres.url(), 2, 2000ms);
  // Two calls at once, so both pool connections are open and then idle.
  {
    boost::asio::io_context loop;
    auto busy = [](pqxx::connection_base& c) {
      pqxx::nontransaction txn(c);
      return txn.exec("SELECT pg_sleep(0.2)").size();
    };
    auto busy_too = busy;
    auto first = boost::asio::co_spawn(loop, pool.run(std::move(busy)), boost::asio::use_future);
    auto second =
        boost::asio::co_spawn(loop, pool.run(std::move(busy_too)), boost::asio::use_future);
    loop.run();
    ASSERT_EQ(first.get(), 1u);
    ASSERT_EQ(second.get(), 1u);
  }
  postgres.stop();
  postgres.start();
  // No gateway restart, and no caller pays for the connections the restart broke.
  backends::pg::PgHealthProbe probe(pool);
  for (int i = 0; i < 4; ++i) EXPECT_NO_THROW(block_on(probe.ping())) << "call " << i;
}
