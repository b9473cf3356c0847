// The daemon's configuration file: YAML, its checks, defaults, modules, notifications and
// http sections, each check's plugin command line and every value's validation, with the
// line of the error.
#include "daemon/config.hpp"
#include "fuzz_target.hpp"

MAILPROBE_FUZZ_TARGET(daemon_config) {
  const auto& path =
      mailprobe::fuzz::write_scratch_file("config.yaml", mailprobe::fuzz::as_text(data, size));
  auto config = mailprobe::daemon::load_config(path);
  static_cast<void>(config);
  return 0;
}
