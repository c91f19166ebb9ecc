#pragma once
#include "agw/backends/pg/pool.hpp"
#include "agw/store/key_store.hpp"

namespace agw::backends::pg {

class PgKeyStore final : public store::KeyStore {
 public:
  explicit PgKeyStore(PgPool& pool) : pool_(pool) {}

  Task<KeyPtr> find_by_id(std::string id) override;
  Task<KeyPtr> find_legacy(std::string key_hash) override;
  Task<void> insert(auth::KeyRecord record) override;
  Task<std::vector<auth::KeyRecord>> list() override;
  Task<bool> revoke(std::string id, std::int64_t now) override;
  Task<void> touch(std::vector<std::pair<std::string, std::int64_t>> last_used) override;

 private:
  PgPool& pool_;
};

class PgHealthProbe final : public store::HealthProbe {
 public:
  explicit PgHealthProbe(PgPool& pool) : pool_(pool) {}
  std::string_view name() const noexcept override { return "postgres"; }
  Task<void> ping() override;

 private:
  PgPool& pool_;
};

}  // namespace agw::backends::pg
