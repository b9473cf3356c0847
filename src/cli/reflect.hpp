#pragma once
// `mailprobe reflect`: the reflector as a subcommand of the program. Not a plugin, and not
// the daemon's: it answers round-trip probes for a mail system (a pipe, or an IMAP mailbox).

#include <string>

namespace mailprobe::cli {

// Exit codes for a mail system's pipe: 0, or 75 (EX_TEMPFAIL) to have it try again.
int reflect(const std::string& name, int argc, const char* const* argv);

}  // namespace mailprobe::cli
