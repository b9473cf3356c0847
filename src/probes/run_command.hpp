#pragma once
// Runs a local command under the probe's deadline and keeps the tail of its output
// (check_mailq runs postqueue or exim this way).

#include <boost/asio/awaitable.hpp>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"

namespace mailprobe::probes {

struct CommandOutput {
  int exit_status = 0;     // the exit code, or 128 + signal
  std::string output;      // stdout and stderr interleaved, at most the last `keep` bytes
  bool truncated = false;  // earlier output was dropped to stay within `keep`
};

// What a command gets of this process's environment, before `environment` is added.
enum class Inherit {
  all,    // everything (a queue command: MAIL_CONFIG, a sudo wrapper's settings)
  basic,  // PATH, HOME, USER, LOGNAME, SHELL, TMPDIR, TZ, LANG, LANGUAGE and LC_*: a
          // notification command must not see the daemon's secrets (--password-env)
};

// Starts argv[0] (looked up in PATH) with `environment` added ("NAME=value"), reads its
// output, and kills it when the deadline hits (failure kind timeout). Fails with kind
// config when the program cannot be started.
boost::asio::awaitable<core::Outcome<CommandOutput>> run_command(
    std::vector<std::string> argv, std::vector<std::string> environment, core::Deadline deadline,
    std::size_t keep = std::size_t{1} << 20, Inherit inherit = Inherit::all);

}  // namespace mailprobe::probes
