#pragma once
// The storage backends chosen from the Config: built here and only here.
#include <memory>

#include "agw/config/config.hpp"
#include "agw/store/key_store.hpp"
#include "agw/store/migrations.hpp"

namespace agw::app {

class Storage {
 public:
  // Throws config::ConfigError when no backend is configured.
  explicit Storage(const config::DatabaseConfig& config);
  ~Storage();

  // Applies pending migrations (blocking; start-up and CLI only).
  store::MigrationReport migrate();
  store::KeyStore& keys() noexcept;
  store::HealthProbe& probe() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace agw::app
