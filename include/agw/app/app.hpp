#pragma once
// App builds every object from the Config and owns them: the only place where parts are wired.
#include <cstdint>
#include <memory>

#include "agw/config/config.hpp"

namespace agw::app {

class App {
 public:
  explicit App(config::Config config);
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Binds the listener and logs the address; returns the bound port.
  std::uint16_t listen();
  // Serves until SIGTERM/SIGINT, drains, flushes. Returns the process exit code.
  int run();

 private:
  struct Parts;
  config::Config config_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace agw::app
