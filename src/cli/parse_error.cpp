#include <cstdio>

#include "cli/plugins.hpp"
#include "cli/run_plugin.hpp"

namespace mailprobe::cli {

int parse_error(const CLI::App& app, const CLI::ParseError& error, const std::string& service) {
  // --help and --version are not errors; CLI11 signals them as exceptions.
  if (error.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
    return app.exit(error);
  }
  std::string message = error.what();
  return option_error(service, message + " (see " + app.get_name() + " --help)");
}

}  // namespace mailprobe::cli
