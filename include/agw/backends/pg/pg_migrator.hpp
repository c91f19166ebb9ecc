#pragma once
// Applies pending migrations to PostgreSQL: under an advisory lock (two instances migrating at
// once take turns), each migration in its own transaction, recorded with its checksum in
// schema_migrations; an applied migration whose checksum changed stops the run.
#include <string>
#include <vector>

#include "agw/store/migrations.hpp"

namespace agw::backends::pg {

store::MigrationReport migrate(const std::string& url, const std::vector<store::Migration>& list);

}  // namespace agw::backends::pg
