#include "agw/backends/pg/pg_migrator.hpp"

#include <map>
#include <pqxx/pqxx>

namespace agw::backends::pg {

namespace {

constexpr const char* kLock = "SELECT pg_advisory_lock(7165064439064978)";  // "agw_mig"
constexpr const char* kUnlock = "SELECT pg_advisory_unlock(7165064439064978)";

pqxx::result exec_outside_transaction(pqxx::connection& connection, const std::string& sql) {
  pqxx::nontransaction statement(connection);
  pqxx::result result = statement.exec(sql);
  statement.commit();
  return result;
}

store::MigrationReport apply_pending(pqxx::connection& connection,
                                     const std::vector<store::Migration>& list) {
  exec_outside_transaction(connection,
                           "CREATE TABLE IF NOT EXISTS schema_migrations ("
                           " version integer PRIMARY KEY,"
                           " name text NOT NULL,"
                           " checksum text NOT NULL,"
                           " applied_at timestamptz NOT NULL DEFAULT now())");
  std::map<int, std::string> applied;  // version → checksum
  for (const auto& row :
       exec_outside_transaction(connection, "SELECT version, checksum FROM schema_migrations")) {
    applied[row[0].as<int>()] = row[1].as<std::string>();
  }

  store::MigrationReport report;
  for (const auto& migration : list) {
    if (const auto it = applied.find(migration.version); it != applied.end()) {
      if (it->second != migration.checksum) {
        throw store::MigrationError("migration " + migration.name +
                                    " has changed since it was applied (checksum mismatch); "
                                    "add a new migration instead of editing an applied one");
      }
      ++report.already_applied;
      continue;
    }
    pqxx::work txn(connection);
    txn.exec(migration.sql);
    txn.exec_params("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version, migration.name, migration.checksum);
    txn.commit();
    report.applied.push_back(migration.name);
  }
  return report;
}

}  // namespace

store::MigrationReport migrate(const std::string& url, const std::vector<store::Migration>& list) {
  pqxx::connection connection(url);
  // A session-level lock, held across the per-migration transactions: concurrent migrators
  // (several instances starting at once) take turns, and the later ones find nothing to do.
  exec_outside_transaction(connection, kLock);
  try {
    auto report = apply_pending(connection, list);
    exec_outside_transaction(connection, kUnlock);
    return report;
  } catch (...) {
    try {
      exec_outside_transaction(connection, kUnlock);
    } catch (...) {  // closing the connection releases the lock anyway
    }
    throw;
  }
}

}  // namespace agw::backends::pg
