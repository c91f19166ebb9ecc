#pragma once
// A client key as the gateway knows it. The secret itself is never held: only its hash.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace agw::auth {

enum class BudgetPeriod { daily, monthly, total };
std::string_view budget_period_name(BudgetPeriod p) noexcept;
std::optional<BudgetPeriod> parse_budget_period(std::string_view text) noexcept;

struct KeyLimits {
  std::optional<std::int64_t> rpm;  // unset: follow DEFAULT_RPM; 0: unlimited
  std::optional<std::int64_t> tpm;  // unset: follow DEFAULT_TPM; 0: unlimited
  std::optional<std::int64_t> budget_micro_usd;  // unset: no budget
  BudgetPeriod budget_period = BudgetPeriod::monthly;
  std::vector<std::string> allowed_models;  // empty: every model
};

struct KeyRecord {
  std::string id;           // public part, what revoke-key takes
  std::string name;
  std::string secret_hash;  // hex SHA-256 of the secret (of the whole key for legacy keys)
  bool legacy = false;
  std::int64_t created_at = 0;  // Unix seconds
  std::optional<std::int64_t> expires_at;
  std::optional<std::int64_t> revoked_at;
  std::optional<std::int64_t> last_used_at;
  KeyLimits limits;

  bool allows_model(std::string_view model) const;
  // Usable at `now`: neither revoked nor expired.
  bool active_at(std::int64_t now) const noexcept {
    return !revoked_at && (!expires_at || *expires_at > now);
  }
};

}  // namespace agw::auth
