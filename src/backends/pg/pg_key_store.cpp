#include "agw/backends/pg/pg_key_store.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <stdexcept>

namespace agw::backends::pg {
namespace {

constexpr const char* kColumns =
    "id, name, secret_hash, legacy, extract(epoch from created_at)::bigint,"
    " extract(epoch from expires_at)::bigint, extract(epoch from revoked_at)::bigint,"
    " extract(epoch from last_used_at)::bigint, rpm, tpm, budget_micro_usd, budget_period,"
    " allowed_models::text";

template <class T>
std::optional<T> optional_field(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

auth::KeyRecord to_record(const pqxx::row& row) {
  auth::KeyRecord r;
  r.id = row[0].as<std::string>();
  r.name = row[1].as<std::string>();
  r.secret_hash = row[2].as<std::string>();
  r.legacy = row[3].as<bool>();
  r.created_at = row[4].as<std::int64_t>();
  r.expires_at = optional_field<std::int64_t>(row[5]);
  r.revoked_at = optional_field<std::int64_t>(row[6]);
  r.last_used_at = optional_field<std::int64_t>(row[7]);
  r.limits.rpm = optional_field<std::int64_t>(row[8]);
  r.limits.tpm = optional_field<std::int64_t>(row[9]);
  r.limits.budget_micro_usd = optional_field<std::int64_t>(row[10]);
  r.limits.budget_period =
      auth::parse_budget_period(row[11].as<std::string>()).value_or(auth::BudgetPeriod::monthly);
  for (const auto& model : nlohmann::json::parse(row[12].as<std::string>())) {
    r.limits.allowed_models.push_back(model.get<std::string>());
  }
  return r;
}

store::KeyStore::KeyPtr first(const pqxx::result& result) {
  if (result.empty()) return nullptr;
  return std::make_shared<const auth::KeyRecord>(to_record(result[0]));
}

// One key, selected by the statement's single parameter; the SQL is built once.
const std::string kFindById =
    std::string("SELECT ") + kColumns + " FROM api_keys WHERE id = $1 AND NOT legacy";
const std::string kFindLegacy =
    std::string("SELECT ") + kColumns + " FROM api_keys WHERE secret_hash = $1 AND legacy";

auto lookup_query(const std::string& sql, std::string value) {
  return [&sql, value = std::move(value)](pqxx::connection_base& c) {
    pqxx::nontransaction txn(c);
    return first(txn.exec_params(sql, value));
  };
}

// pqxx 6 binds std::optional as NULL only through pointers; this keeps call sites readable.
const std::int64_t* nullable(const std::optional<std::int64_t>& v) { return v ? &*v : nullptr; }

}  // namespace

Task<store::KeyStore::KeyPtr> PgKeyStore::find_by_id(std::string id) {
  auto query = lookup_query(kFindById, std::move(id));
  co_return co_await pool_.run(std::move(query));
}

Task<store::KeyStore::KeyPtr> PgKeyStore::find_legacy(std::string key_hash) {
  auto query = lookup_query(kFindLegacy, std::move(key_hash));
  co_return co_await pool_.run(std::move(query));
}

Task<void> PgKeyStore::insert(auth::KeyRecord r) {
  auto query = [r = std::move(r)](pqxx::connection_base& c) {
    pqxx::work txn(c);
    try {
      txn.exec_params(
          "INSERT INTO api_keys (id, name, secret_hash, legacy, created_at, expires_at, rpm, tpm,"
          " budget_micro_usd, budget_period, allowed_models) VALUES ($1, $2, $3, $4,"
          " to_timestamp($5), to_timestamp($6), $7, $8, $9, $10, $11::jsonb)",
          r.id, r.name, r.secret_hash, r.legacy, r.created_at, nullable(r.expires_at),
          nullable(r.limits.rpm), nullable(r.limits.tpm), nullable(r.limits.budget_micro_usd),
          std::string(auth::budget_period_name(r.limits.budget_period)),
          nlohmann::json(r.limits.allowed_models).dump());
      txn.commit();
    } catch (const pqxx::unique_violation&) {
      throw std::invalid_argument(r.legacy ? "this legacy key is already imported"
                                           : "a key with this id already exists");
    }
  };
  co_await pool_.run(std::move(query));
}

Task<std::vector<auth::KeyRecord>> PgKeyStore::list() {
  auto query = [](pqxx::connection_base& c) {
    pqxx::nontransaction txn(c);
    std::vector<auth::KeyRecord> out;
    for (const auto& row :
         txn.exec(std::string("SELECT ") + kColumns + " FROM api_keys ORDER BY created_at, id")) {
      out.push_back(to_record(row));
    }
    return out;
  };
  co_return co_await pool_.run(std::move(query));
}

Task<bool> PgKeyStore::revoke(std::string id, std::int64_t now) {
  auto query = [id = std::move(id), now](pqxx::connection_base& c) {
    pqxx::work txn(c);
    const auto result = txn.exec_params(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, to_timestamp($2)) WHERE id = $1",
        id, now);
    txn.commit();
    return result.affected_rows() == 1;
  };
  co_return co_await pool_.run(std::move(query));
}

Task<void> PgKeyStore::touch(std::vector<std::pair<std::string, std::int64_t>> last_used) {
  if (last_used.empty()) co_return;
  // Ids are base62 and times integers, so the array literals need no quoting.
  std::string ids = "{", times = "{";
  for (const auto& [id, at] : last_used) {
    if (ids.size() > 1) {
      ids += ',';
      times += ',';
    }
    ids += id;
    times += std::to_string(at);
  }
  ids += '}';
  times += '}';
  auto query = [ids = std::move(ids), times = std::move(times)](pqxx::connection_base& c) {
    pqxx::work txn(c);
    txn.exec_params(
        "UPDATE api_keys AS k SET last_used_at = greatest(k.last_used_at, to_timestamp(v.at))"
        " FROM (SELECT unnest($1::text[]) AS id, unnest($2::bigint[]) AS at) AS v"
        " WHERE k.id = v.id",
        ids, times);
    txn.commit();
  };
  co_await pool_.run(std::move(query));
}

Task<void> PgHealthProbe::ping() {
  auto query = [](pqxx::connection_base& c) {
    pqxx::nontransaction txn(c);
    txn.exec("SELECT 1");
  };
  co_await pool_.run(std::move(query));
}

}  // namespace agw::backends::pg
