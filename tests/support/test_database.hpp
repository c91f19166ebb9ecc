#pragma once
// The PostgreSQL server tests use: AGW_TEST_DATABASE_URL when set (scripts/test.sh starts one
// for the whole run), otherwise one started for this test process by scripts/services.sh and
// stopped when the process exits.
#include <string>

namespace agw::test {

std::string test_database_url();
// A new, empty database on the test server, named `<prefix>_<random>`; returns its URL.
std::string create_database(const std::string& prefix);
// Runs SQL on the database at `url` and returns the first column of the first row ("" if none).
std::string query_scalar(const std::string& url, const std::string& sql);

// A PostgreSQL server of the test's own, for tests that stop and restart it.
class OwnPostgres {
 public:
  OwnPostgres();
  ~OwnPostgres();
  const std::string& url() const { return url_; }
  void stop();
  void start();

 private:
  std::string dir_;
  std::string url_;
};

}  // namespace agw::test
