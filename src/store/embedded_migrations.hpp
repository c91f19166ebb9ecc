#pragma once
// Generated at configure time from migrations/*/*.sql (cmake/EmbedMigrations.cmake).
#include <string_view>
#include <vector>

namespace agw::store::detail {

struct EmbeddedFile {
  std::string_view backend;
  std::string_view name;
  std::string_view sql;
};

const std::vector<EmbeddedFile>& embedded_migration_files();

}  // namespace agw::store::detail
