#include "agw/app/storage.hpp"

#include "agw/backends/pg/pg_key_store.hpp"
#include "agw/backends/pg/pg_migrator.hpp"
#include "agw/backends/pg/pool.hpp"

namespace agw::app {

struct Storage::Impl {
  const config::DatabaseConfig& config;
  backends::pg::PgPool pool;
  backends::pg::PgKeyStore keys{pool};
  backends::pg::PgHealthProbe probe{pool};

  explicit Impl(const config::DatabaseConfig& c) : config(c), pool(c.url, c.pool_size, c.timeout) {}
};

Storage::Storage(const config::DatabaseConfig& config) {
  if (config.url.empty()) {
    throw config::ConfigError(
        "DATABASE_URL: required (postgresql://user:password@host:port/database); the embedded "
        "store is not available yet");
  }
  impl_ = std::make_unique<Impl>(config);
}

Storage::~Storage() = default;

store::MigrationReport Storage::migrate() {
  const auto& c = impl_->config;
  const auto list = c.migrations_dir.empty() ? store::embedded_migrations("pg")
                                             : store::load_migrations(c.migrations_dir);
  return backends::pg::migrate(backends::pg::with_connect_timeout(c.url, c.timeout), list);
}

store::KeyStore& Storage::keys() noexcept { return impl_->keys; }
store::HealthProbe& Storage::probe() noexcept { return impl_->probe; }

}  // namespace agw::app
