// The PostgreSQL migrations runner against a real server: from empty, re-run, a changed file,
// a failing migration, concurrent migrators.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <latch>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "agw/backends/pg/pg_migrator.hpp"
#include "agw/store/migrations.hpp"
#include "support/gateway_process.hpp"
#include "support/test_database.hpp"

using namespace agw::test;
namespace fs = std::filesystem;

namespace {

// A copy of migrations/pg in a temporary directory, removed afterwards.
class MigrationsCopy {
 public:
  MigrationsCopy() {
    std::string pattern = (fs::temp_directory_path() / "agw-migrations-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    fs::copy(fs::path(AGW_SOURCE_DIR) / "migrations" / "pg", dir_);
  }
  ~MigrationsCopy() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  const std::string& dir() const { return dir_; }
  void write(const std::string& name, const std::string& text, bool append = false) {
    std::ofstream out(fs::path(dir_) / name, append ? std::ios::app : std::ios::trunc);
    out << text;
  }

 private:
  std::string dir_;
};

std::string applied_versions(const std::string& url) {
  return query_scalar(url,
                      "SELECT string_agg(version::text, ',' ORDER BY version) FROM "
                      "schema_migrations");
}

// "1,2,…": the versions compiled into the binary.
std::string embedded_versions() {
  std::string out;
  for (const auto& m : agw::store::embedded_migrations("pg")) {
    out += (out.empty() ? "" : ",") + std::to_string(m.version);
  }
  return out;
}

int line_count(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines + (!text.empty() && text.back() != '\n');
}

}  // namespace

TEST(Migrations, FromEmptyCreatesTheSchemaAndRecordsIt) {
  const std::string url = create_database("mig_empty");
  const auto list = agw::store::embedded_migrations("pg");
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.front().name, "001_api_keys.sql");
  const auto report = agw::backends::pg::migrate(url, list);
  ASSERT_EQ(report.applied.size(), list.size());
  EXPECT_EQ(report.applied.front(), "001_api_keys.sql");
  EXPECT_EQ(report.already_applied, 0u);
  EXPECT_EQ(applied_versions(url), embedded_versions());
  EXPECT_EQ(query_scalar(url, "SELECT to_regclass('public.api_keys')::text"), "api_keys");
  EXPECT_EQ(query_scalar(url, "SELECT checksum FROM schema_migrations WHERE version = 1"),
            list.front().checksum);
  EXPECT_EQ(query_scalar(url, "SELECT name FROM schema_migrations WHERE version = 1"),
            "001_api_keys.sql");
}

TEST(Migrations, ReRunIsANoOp) {
  const std::string url = create_database("mig_rerun");
  const auto list = agw::store::embedded_migrations("pg");
  agw::backends::pg::migrate(url, list);
  const std::string applied_at =
      query_scalar(url, "SELECT applied_at::text FROM schema_migrations WHERE version = 1");
  const auto again = agw::backends::pg::migrate(url, list);
  EXPECT_TRUE(again.applied.empty());
  EXPECT_EQ(again.already_applied, list.size());
  EXPECT_EQ(query_scalar(url, "SELECT count(*) FROM schema_migrations"),
            std::to_string(list.size()));
  EXPECT_EQ(query_scalar(url, "SELECT applied_at::text FROM schema_migrations WHERE version = 1"),
            applied_at);

  // The same through the CLI.
  const auto cli = run_binary({"migrate"}, {{"DATABASE_URL", url}});
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("0 migration(s) applied"), std::string::npos) << cli.output;
}

TEST(Migrations, CliAppliesFromEmpty) {
  const std::string url = create_database("mig_cli");
  const auto cli = run_binary({"migrate"}, {{"DATABASE_URL", url}});
  EXPECT_EQ(cli.exit_code, 0) << cli.output;
  EXPECT_NE(cli.output.find("applied 001_api_keys.sql"), std::string::npos) << cli.output;
  EXPECT_EQ(applied_versions(url), embedded_versions());
}

TEST(Migrations, ChangedAppliedFileIsRefused) {
  const std::string url = create_database("mig_changed");
  MigrationsCopy copy;
  const std::map<std::string, std::string> env = {{"DATABASE_URL", url},
                                                  {"MIGRATIONS_DIR", copy.dir()}};
  auto first = run_binary({"migrate"}, env);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_EQ(applied_versions(url), embedded_versions());

  copy.write("001_api_keys.sql", "\n-- an edit after the fact\n", /*append=*/true);
  const auto refused = run_binary({"migrate"}, env);
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(refused.output.find("checksum") != std::string::npos ||
              refused.output.find("changed") != std::string::npos)
      << refused.output;
  EXPECT_NE(refused.output.find("001_api_keys.sql"), std::string::npos) << refused.output;
  EXPECT_EQ(line_count(refused.output), 1) << refused.output;

  // serve refuses to start on it too (AUTO_MIGRATE is on by default).
  const auto serve = run_binary({"serve"}, env, std::chrono::seconds(10));
  EXPECT_NE(serve.exit_code, 0) << serve.output;
  EXPECT_NE(serve.output.find("checksum"), std::string::npos) << serve.output;
}

TEST(Migrations, NewFileIsAppliedAfterTheOldOnes) {
  const std::string url = create_database("mig_new");
  MigrationsCopy copy;
  const std::map<std::string, std::string> env = {{"DATABASE_URL", url},
                                                  {"MIGRATIONS_DIR", copy.dir()}};
  ASSERT_EQ(run_binary({"migrate"}, env).exit_code, 0);
  copy.write("900_extra.sql", "CREATE TABLE extra (x integer);\n");
  const auto second = run_binary({"migrate"}, env);
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_NE(second.output.find("applied 900_extra.sql"), std::string::npos) << second.output;
  const std::string summary =
      "1 migration(s) applied, " +
      std::to_string(agw::store::embedded_migrations("pg").size()) + " already applied";
  EXPECT_NE(second.output.find(summary), std::string::npos) << second.output;
  EXPECT_EQ(applied_versions(url), embedded_versions() + ",900");
  EXPECT_EQ(query_scalar(url, "SELECT to_regclass('public.extra')::text"), "extra");
}

TEST(Migrations, FailingMigrationIsRolledBackAndNotRecorded) {
  const std::string url = create_database("mig_fail");
  MigrationsCopy copy;
  copy.write("901_broken.sql", "CREATE TABLE half_done (x integer);\nSELECT no_such_function();\n");
  const auto result =
      run_binary({"migrate"}, {{"DATABASE_URL", url}, {"MIGRATIONS_DIR", copy.dir()}});
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_EQ(line_count(result.output), 1) << result.output;
  EXPECT_NE(result.output.find("no_such_function"), std::string::npos) << result.output;
  EXPECT_EQ(applied_versions(url), embedded_versions());  // those before 901 went in
  EXPECT_EQ(query_scalar(url, "SELECT coalesce(to_regclass('public.half_done')::text, '')"), "");
}

TEST(Migrations, BadlyNamedFileIsRefused) {
  MigrationsCopy copy;
  copy.write("two_no_number.sql", "SELECT 1;\n");
  EXPECT_THROW(agw::store::load_migrations(copy.dir()), agw::store::MigrationError);
  MigrationsCopy duplicate;
  duplicate.write("001_again.sql", "SELECT 1;\n");
  EXPECT_THROW(agw::store::load_migrations(duplicate.dir()), agw::store::MigrationError);
}

TEST(Migrations, ConcurrentMigratorsApplyEachMigrationOnce) {
  const std::string url = create_database("mig_race");
  const auto list = agw::store::embedded_migrations("pg");
  constexpr int kMigrators = 4;
  std::latch start(kMigrators);
  std::vector<agw::store::MigrationReport> reports(kMigrators);
  std::vector<std::string> errors(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      try {
        reports[i] = agw::backends::pg::migrate(url, list);
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  std::size_t applied = 0;
  for (int i = 0; i < kMigrators; ++i) {
    EXPECT_EQ(errors[i], "") << "migrator " << i;
    applied += reports[i].applied.size();
  }
  EXPECT_EQ(applied, list.size());
  EXPECT_EQ(query_scalar(url, "SELECT count(*) FROM schema_migrations"),
            std::to_string(list.size()));
}

TEST(Migrations, ConcurrentMigrateProcessesBothSucceed) {
  const std::string url = create_database("mig_procs");
  RunResult results[2];
  std::thread other([&] { results[1] = run_binary({"migrate"}, {{"DATABASE_URL", url}}); });
  results[0] = run_binary({"migrate"}, {{"DATABASE_URL", url}});
  other.join();
  EXPECT_EQ(results[0].exit_code, 0) << results[0].output;
  EXPECT_EQ(results[1].exit_code, 0) << results[1].output;
  const int applied_by_first = results[0].output.find("applied 001_api_keys.sql") != std::string::npos;
  const int applied_by_second = results[1].output.find("applied 001_api_keys.sql") != std::string::npos;
  EXPECT_EQ(applied_by_first + applied_by_second, 1) << results[0].output << results[1].output;
  EXPECT_EQ(query_scalar(url, "SELECT count(*) FROM schema_migrations WHERE version = 1"), "1");
}
