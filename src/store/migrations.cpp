#include "agw/store/migrations.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "agw/auth/key_format.hpp"
#include "store/embedded_migrations.hpp"

namespace agw::store {
namespace {

Migration make_migration(const std::string& file_name, std::string sql) {
  static const std::regex kName(R"(^(\d+)_[A-Za-z0-9_\-]+\.sql$)");
  std::smatch m;
  if (!std::regex_match(file_name, m, kName)) {
    throw MigrationError("migration file name must look like 001_name.sql: " + file_name);
  }
  Migration out;
  out.version = std::stoi(m[1]);
  out.name = file_name;
  out.checksum = auth::sha256_hex(sql);
  out.sql = std::move(sql);
  return out;
}

void sort_and_check(std::vector<Migration>& list) {
  std::sort(list.begin(), list.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  std::set<int> seen;
  for (const auto& m : list) {
    if (!seen.insert(m.version).second) {
      throw MigrationError("two migrations share version " + std::to_string(m.version));
    }
  }
}

}  // namespace

std::vector<Migration> embedded_migrations(const std::string& backend) {
  std::vector<Migration> out;
  for (const auto& file : detail::embedded_migration_files()) {
    if (file.backend == backend) out.push_back(make_migration(std::string(file.name), std::string(file.sql)));
  }
  sort_and_check(out);
  return out;
}

std::vector<Migration> load_migrations(const std::string& directory) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(directory)) throw MigrationError("not a directory: " + directory);
  std::vector<Migration> out;
  for (const auto& entry : fs::directory_iterator(directory)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".sql") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(make_migration(entry.path().filename().string(), text.str()));
  }
  sort_and_check(out);
  return out;
}

}  // namespace agw::store
