// ai-gateway's command line (CLI11): serve (the default) | migrate | create-key | list-keys |
// revoke-key | import-key.
#include <CLI/CLI.hpp>
#include <iostream>
#include <pqxx/except>

#include "agw/app/app.hpp"
#include "agw/app/commands.hpp"
#include "agw/config/config.hpp"
#include "agw/core/logging.hpp"
#include "agw/store/key_store.hpp"
#include "agw/store/migrations.hpp"

extern char** environ;

namespace {

agw::config::Config load_config() {
  return agw::config::Config::load(agw::config::gather_variables(".env", environ));
}

int serve() {
  agw::config::Config config = load_config();
  agw::core::init_logging(config.log);
  agw::app::App app(std::move(config));
  app.listen();
  return app.run();
}

// One line for the operator, whatever the message (libpq's span several, tab-indented).
int fail(const std::string& message, int code = 1) {
  std::string line;
  for (const char c : message) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (!space) line += c;
    else if (!line.empty() && line.back() != ' ') line += ' ';
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  std::cerr << "ai-gateway: " << line << '\n';
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"ai-gateway: an OpenAI-compatible AI gateway"};
  cli.require_subcommand(0, 1);
  cli.add_subcommand("serve", "Run the HTTP gateway (the default)");
  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations");

  agw::app::CreateKeyOptions create;
  auto* create_key = cli.add_subcommand("create-key", "Create a client key (printed once)");
  create_key->add_option("--name", create.name, "Who or what the key is for")->required();
  create_key->add_option("--rpm", create.rpm, "Requests per minute (0 = unlimited)");
  create_key->add_option("--tpm", create.tpm, "Tokens per minute (0 = unlimited)");
  create_key->add_option("--budget-usd", create.budget_usd, "Spend allowed per budget period");
  create_key->add_option("--budget-period", create.budget_period, "daily, monthly or total")
      ->check(CLI::IsMember({"daily", "monthly", "total"}));
  create_key->add_option("--models", create.models, "Allowed models, comma-separated")
      ->delimiter(',');
  create_key->add_option("--expires-in-days", create.expires_in_days, "Days until it expires");
  create_key->add_flag("--json", create.json, "Print one JSON line");

  bool list_json = false;
  auto* list_keys = cli.add_subcommand("list-keys", "List keys (never their secrets)");
  list_keys->add_flag("--json", list_json, "Print JSON");

  std::string revoke_id;
  auto* revoke_key = cli.add_subcommand("revoke-key", "Revoke a key by its id");
  revoke_key->add_option("id", revoke_id, "The key's id")->required();

  std::string import_name, import_value;
  bool import_json = false;
  auto* import_key = cli.add_subcommand("import-key", "Import a legacy key (without a dot)");
  import_key->add_option("--name", import_name, "Who or what the key is for")->required();
  import_key->add_option("--key", import_value, "The legacy key")->required();
  import_key->add_flag("--json", import_json, "Print one JSON line");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return cli.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return cli.exit(e);
  } catch (const CLI::ParseError& e) {
    return fail(e.what(), 2);
  }

  try {
    if (*migrate) return agw::app::migrate_command(load_config(), std::cout);
    if (*create_key) return agw::app::create_key_command(load_config(), create, std::cout);
    if (*list_keys) return agw::app::list_keys_command(load_config(), list_json, std::cout);
    if (*revoke_key) return agw::app::revoke_key_command(load_config(), revoke_id, std::cout);
    if (*import_key) {
      return agw::app::import_key_command(load_config(), import_name, import_value, import_json,
                                          std::cout);
    }
    return serve();
  } catch (const agw::config::ConfigError& e) {
    return fail(std::string("configuration error: ") + e.what(), 2);
  } catch (const agw::store::StoreUnavailable& e) {
    return fail(std::string("database unavailable: ") + e.what());
  } catch (const pqxx::broken_connection& e) {
    return fail(std::string("cannot connect to the database: ") + e.what());
  } catch (const std::exception& e) {
    return fail(e.what());
  }
}
