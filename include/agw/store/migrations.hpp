#pragma once
// Numbered, forward-only SQL migrations: "NNN_name.sql". The embedded set is compiled into the
// binary (from migrations/<backend>/); a directory can replace it (MIGRATIONS_DIR).
#include <stdexcept>
#include <string>
#include <vector>

namespace agw::store {

struct Migration {
  int version = 0;
  std::string name;  // file name
  std::string sql;
  std::string checksum;  // hex SHA-256 of sql
};

// The migrations compiled into the binary for `backend` ("pg"), sorted by version.
std::vector<Migration> embedded_migrations(const std::string& backend);
// The *.sql files of `directory`, sorted by version; throws on a badly named or duplicate file.
std::vector<Migration> load_migrations(const std::string& directory);

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this run
  std::size_t already_applied = 0;
};

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace agw::store
