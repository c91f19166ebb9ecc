// ai-gateway's command line: serve (default). Later: migrate, create-key, list-keys,
// revoke-key, import-key.
#include <CLI/CLI.hpp>
#include <iostream>

#include "agw/app/app.hpp"
#include "agw/config/config.hpp"
#include "agw/core/logging.hpp"

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"ai-gateway: an OpenAI-compatible AI gateway"};
  cli.require_subcommand(0, 1);
  auto* serve_cmd = cli.add_subcommand("serve", "Run the HTTP gateway (the default)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  try {
    (void)serve_cmd;
    return serve();
  } catch (const agw::config::ConfigError& e) {
    std::cerr << "ai-gateway: configuration error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ai-gateway: " << e.what() << '\n';
    return 1;
  }
}
