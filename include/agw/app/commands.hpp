#pragma once
// The operator commands behind the CLI: each prints its result and returns the exit code;
// failures throw CommandError (one line for the operator) or config::ConfigError.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "agw/config/config.hpp"

namespace agw::app {

class CommandError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CreateKeyOptions {
  std::string name;
  std::optional<std::int64_t> rpm;
  std::optional<std::int64_t> tpm;
  std::optional<double> budget_usd;
  std::string budget_period = "monthly";
  std::vector<std::string> models;
  std::optional<std::int64_t> expires_in_days;
  bool json = false;
};

int migrate_command(const config::Config& config, std::ostream& out);
int create_key_command(const config::Config& config, const CreateKeyOptions& options,
                       std::ostream& out);
int list_keys_command(const config::Config& config, bool json, std::ostream& out);
int revoke_key_command(const config::Config& config, const std::string& id, std::ostream& out);
int import_key_command(const config::Config& config, const std::string& name,
                       const std::string& key, bool json, std::ostream& out);

}  // namespace agw::app
