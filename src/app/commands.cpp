#include "agw/app/commands.hpp"

#include <cmath>
#include <ctime>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "agw/app/storage.hpp"
#include "agw/auth/key_format.hpp"
#include "agw/core/block_on.hpp"
#include "agw/core/clock.hpp"

namespace agw::app {
namespace {

std::int64_t now_seconds() { return core::SystemClock().unix_seconds(); }

std::string iso_time(std::optional<std::int64_t> t) {
  if (!t) return "-";
  const std::time_t secs = *t;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

nlohmann::json optional_json(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json key_json(const auth::KeyRecord& k) {
  const auto& l = k.limits;
  return {{"id", k.id},
          {"name", k.name},
          {"created_at", k.created_at},
          {"expires_at", optional_json(k.expires_at)},
          {"revoked_at", optional_json(k.revoked_at)},
          {"last_used_at", optional_json(k.last_used_at)},
          {"rpm", optional_json(l.rpm)},
          {"tpm", optional_json(l.tpm)},
          {"budget_usd", l.budget_micro_usd ? nlohmann::json(*l.budget_micro_usd / 1e6)
                                            : nlohmann::json(nullptr)},
          {"budget_period", auth::budget_period_name(l.budget_period)},
          {"models", l.allowed_models},
          {"legacy", k.legacy}};
}

// Storage for a command, migrated first when AUTO_MIGRATE is on (as `serve` does).
std::unique_ptr<Storage> open_storage(const config::Config& config) {
  auto storage = std::make_unique<Storage>(config.database);
  if (config.database.auto_migrate) storage->migrate();
  return storage;
}

auth::KeyLimits limits_from(const CreateKeyOptions& o) {
  auth::KeyLimits limits;
  if (o.rpm && *o.rpm < 0) throw CommandError("--rpm must be 0 (unlimited) or more");
  if (o.tpm && *o.tpm < 0) throw CommandError("--tpm must be 0 (unlimited) or more");
  limits.rpm = o.rpm;
  limits.tpm = o.tpm;
  if (o.budget_usd) {
    if (!std::isfinite(*o.budget_usd) || *o.budget_usd < 0 || *o.budget_usd > 1e12) {
      throw CommandError("--budget-usd must be a non-negative amount");
    }
    limits.budget_micro_usd = std::llround(*o.budget_usd * 1e6);
  }
  const auto period = auth::parse_budget_period(o.budget_period);
  if (!period) throw CommandError("--budget-period must be daily, monthly or total");
  limits.budget_period = *period;
  for (const auto& model : o.models) {
    if (model.empty()) throw CommandError("--models must not contain an empty name");
  }
  limits.allowed_models = o.models;
  return limits;
}

}  // namespace

int migrate_command(const config::Config& config, std::ostream& out) {
  Storage storage(config.database);
  const auto report = storage.migrate();
  for (const auto& name : report.applied) out << "applied " << name << '\n';
  out << report.applied.size() << " migration(s) applied, " << report.already_applied
      << " already applied\n";
  return 0;
}

int create_key_command(const config::Config& config, const CreateKeyOptions& options,
                       std::ostream& out) {
  if (options.name.empty()) throw CommandError("--name must not be empty");
  auth::KeyRecord record;
  record.name = options.name;
  record.limits = limits_from(options);
  record.created_at = now_seconds();
  if (options.expires_in_days) {
    if (*options.expires_in_days < 1 || *options.expires_in_days > 36500) {
      throw CommandError("--expires-in-days must be from 1 to 36500");
    }
    record.expires_at = record.created_at + *options.expires_in_days * 86400;
  }
  const auth::GeneratedKey generated = auth::generate_key();
  record.id = generated.id;
  record.secret_hash = generated.secret_hash;

  auto storage = open_storage(config);
  core::block_on(storage->keys().insert(record));
  if (options.json) {
    auto j = key_json(record);
    j["key"] = generated.key;
    out << j.dump() << '\n';
  } else {
    out << "Created key '" << record.name << "' (id " << record.id << ").\n"
        << "Key (shown once, store it now): " << generated.key << '\n';
  }
  return 0;
}

int list_keys_command(const config::Config& config, bool json, std::ostream& out) {
  auto storage = open_storage(config);
  const auto keys = core::block_on(storage->keys().list());
  if (json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& k : keys) list.push_back(key_json(k));
    out << list.dump() << '\n';
    return 0;
  }
  auto limit = [](const std::optional<std::int64_t>& v) {
    return v ? (*v == 0 ? std::string("unlimited") : std::to_string(*v)) : std::string("default");
  };
  out << std::left << std::setw(14) << "ID" << std::setw(20) << "NAME" << std::setw(22)
      << "CREATED" << std::setw(22) << "EXPIRES" << std::setw(22) << "REVOKED" << std::setw(22)
      << "LAST USED" << std::setw(10) << "RPM" << std::setw(10) << "TPM"
      << "BUDGET / MODELS\n";
  for (const auto& k : keys) {
    const auto& l = k.limits;
    std::string budget = "-";
    if (l.budget_micro_usd) {
      std::ostringstream b;
      b << std::fixed << std::setprecision(2) << *l.budget_micro_usd / 1e6 << " USD "
        << auth::budget_period_name(l.budget_period);
      budget = b.str();
    }
    std::string models = l.allowed_models.empty() ? "all" : "";
    for (const auto& m : l.allowed_models) models += (models.empty() ? "" : ",") + m;
    out << std::setw(14) << k.id << std::setw(20) << k.name << std::setw(22)
        << iso_time(k.created_at) << std::setw(22) << iso_time(k.expires_at) << std::setw(22)
        << iso_time(k.revoked_at) << std::setw(22) << iso_time(k.last_used_at) << std::setw(10)
        << limit(l.rpm) << std::setw(10) << limit(l.tpm) << budget << " / " << models << '\n';
  }
  return 0;
}

int revoke_key_command(const config::Config& config, const std::string& id, std::ostream& out) {
  auto storage = open_storage(config);
  if (!core::block_on(storage->keys().revoke(id, now_seconds()))) {
    throw CommandError("no key with id '" + id + "'");
  }
  out << "Revoked key " << id << ".\n";
  return 0;
}

int import_key_command(const config::Config& config, const std::string& name,
                       const std::string& key, bool json, std::ostream& out) {
  if (name.empty()) throw CommandError("--name must not be empty");
  if (key.size() < auth::kMinLegacyKeyLength) {
    throw CommandError("--key is too short to be a key (" +
                       std::to_string(auth::kMinLegacyKeyLength) + " characters at least)");
  }
  const auto parsed = auth::parse_key(key);
  if (!parsed || parsed->kind != auth::ParsedKey::Kind::legacy) {
    throw CommandError(
        "--key must be a legacy key: printable ASCII without a dot, at most 512 characters");
  }
  auth::KeyRecord record;
  record.id = auth::new_key_id();
  record.name = name;
  record.secret_hash = auth::sha256_hex(key);
  record.legacy = true;
  record.created_at = now_seconds();
  auto storage = open_storage(config);
  try {
    core::block_on(storage->keys().insert(record));
  } catch (const std::invalid_argument& e) {
    throw CommandError(e.what());
  }
  if (json) out << key_json(record).dump() << '\n';
  else out << "Imported legacy key '" << name << "' (id " << record.id << ").\n";
  return 0;
}

}  // namespace agw::app
