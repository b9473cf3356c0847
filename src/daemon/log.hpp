#pragma once
// The daemon's log: one line per event on stderr, which systemd's journal or a container
// runtime collects. Never a password: lines are built from check names, states and the
// probes' summaries, which carry no secrets.

#include <cstdio>
#include <string>

namespace mailprobe::daemon {

inline void log(const std::string& line) {
  std::fprintf(stderr, "mailprobe: %s\n", line.c_str());
  std::fflush(stderr);
}

}  // namespace mailprobe::daemon
