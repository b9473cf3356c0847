#pragma once
// The daemon's log: one line per event on stderr, which systemd's journal or a container
// runtime collects. Under systemd (JOURNAL_STREAM names stderr) each line starts with its
// syslog priority, "<3>" to "<7>" (sd-daemon(3)), which the journal keeps as the entry's
// priority. Never a password: lines are built from check names, states and the probes'
// summaries, which carry no secrets.

#include <string>

#include "net/spawn.hpp"

namespace mailprobe::daemon {

// syslog(3) priorities.
enum class Priority { error = 3, warning = 4, notice = 5, info = 6 };

void log(const std::string& line, Priority priority = Priority::info);

// A co_spawn completion handler that logs the coroutine's failure as an error:
// "WHAT failed: WHY".
inline auto log_failure(std::string what) {
  return net::on_failure([what = std::move(what)](const std::string& why) {
    log(what + " failed: " + why, Priority::error);
  });
}

// Whether stderr is the journal's stream (JOURNAL_STREAM is "DEVICE:INODE" of it).
bool stderr_is_journal();

}  // namespace mailprobe::daemon
