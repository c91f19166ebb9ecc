#include "support/test_database.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <random>
#include <stdexcept>

namespace agw::test {
namespace {

std::string run_script(const std::string& args) {
  const std::string command = std::string(AGW_SOURCE_DIR) + "/scripts/services.sh " + args;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::string out;
  std::array<char, 512> buf{};
  while (fgets(buf.data(), buf.size(), pipe.get())) out += buf.data();
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string make_temp_dir(const char* prefix) {
  std::string pattern = std::string("/tmp/") + prefix + "XXXXXX";
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  std::filesystem::permissions(pattern, std::filesystem::perms::owner_all |
                                            std::filesystem::perms::group_exec |
                                            std::filesystem::perms::others_exec);
  return pattern;
}

std::string random_suffix() {
  static std::mt19937_64 generator{std::random_device{}()};
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < 10; ++i) out += kChars[generator() % 36];
  return out;
}

std::string replace_database(const std::string& url, const std::string& name) {
  const auto slash = url.rfind('/');
  const auto query = url.find('?', slash);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

}  // namespace

std::string test_database_url() {
  if (const char* url = std::getenv("AGW_TEST_DATABASE_URL"); url && *url) return url;
  static OwnPostgres* server = new OwnPostgres();  // stopped by its atexit hook below
  static const bool registered = [] {
    std::atexit([] { delete server; });  // stops the server and removes its directory
    return true;
  }();
  (void)registered;
  return server->url();
}

std::string create_database(const std::string& prefix) {
  const std::string name = prefix + "_" + random_suffix();
  pqxx::connection admin(test_database_url());
  pqxx::nontransaction txn(admin);
  txn.exec("CREATE DATABASE " + txn.quote_name(name));
  return replace_database(test_database_url(), name);
}

std::string query_scalar(const std::string& url, const std::string& sql) {
  pqxx::connection connection(url);
  pqxx::nontransaction txn(connection);
  const auto result = txn.exec(sql);
  if (result.empty() || result[0][0].is_null()) return "";
  return result[0][0].as<std::string>();
}

OwnPostgres::OwnPostgres() : dir_(make_temp_dir("agw-test-pg-")) { start(); }

OwnPostgres::~OwnPostgres() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void OwnPostgres::start() {
  url_ = run_script("start-postgres " + dir_ + "/pg");
  if (url_.rfind("postgresql://", 0) != 0) throw std::runtime_error("postgres did not start");
}

void OwnPostgres::stop() { run_script("stop-postgres " + dir_ + "/pg"); }

}  // namespace agw::test
