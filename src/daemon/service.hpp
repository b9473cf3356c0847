#pragma once
// `mailprobe serve`: the daemon. Loads the configuration, restores the checks' states from
// the history, schedules the checks, serves HTTP, and runs until SIGTERM or SIGINT; SIGHUP
// reloads the configuration without dropping history.

#include <string>

namespace mailprobe::daemon {

struct ServeOptions {
  std::string config_path;
  bool check_only = false;  // --check-config: validate and exit
};

// Returns the process exit code: 0 after a clean stop or a valid --check-config, 1 for an
// invalid configuration, 2 when the daemon cannot start (database, listen address).
int serve(const ServeOptions& options);

// `mailprobe serve -c FILE [--check-config]`: parses the command line and serves.
int serve_command(int argc, const char* const* argv);

}  // namespace mailprobe::daemon
