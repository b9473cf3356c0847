#pragma once
// What the round-trip check remembers between runs, in a small SQLite file: every probe it
// sent, whether it arrived, and when. Every change is one transaction, so two runs at
// once and a crash mid-run leave a consistent file; an arrival is counted by exactly one
// run (the one whose conditional update succeeds).

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "probes/sqlite_file.hpp"

namespace mailprobe::probes {

struct StoredProbe {
  std::string id;
  std::string state;  // sending | pending | arrived | lost | late
  std::int64_t sent_ms = 0;
  std::optional<std::int64_t> sent_mono_ns;  // CLOCK_MONOTONIC at the 250, same boot only
  std::string boot_id;
};

class RoundTripState {
 public:
  // Opens (creating if needed) the file; `check_key` separates checks sharing one file.
  // `busy_ms` bounds how long a run waits for another one's transaction.
  static core::Outcome<RoundTripState> open(const std::string& path, std::string check_key,
                                            int busy_ms);

  // A probe about to be handed to SMTP: counted from now on, even if this run dies.
  core::Status record_sending(const std::string& id, std::int64_t sent_ms);
  // The server answered 250: the probe is in the mail system.
  core::Status record_sent(const std::string& id, std::int64_t sent_ms, std::int64_t mono_ns,
                           const std::string& boot_id);
  // The server refused it: it will never arrive.
  core::Status forget(const std::string& id);

  // This check's probe `id` as stored; nullopt when it is not this check's.
  core::Outcome<std::optional<StoredProbe>> lookup(const std::string& id);
  // Counts an arrival once: true for the one run whose update succeeds.
  core::Outcome<bool> claim_arrival(const std::string& id, std::int64_t arrived_ms,
                                    double rtt_seconds, bool junk);
  // Probes sent before `cutoff_ms` that never arrived become lost; returns how many.
  core::Outcome<int> declare_lost(std::int64_t cutoff_ms, std::int64_t now_ms);
  // Probes still on their way (sending or pending).
  core::Outcome<std::vector<StoredProbe>> outstanding();
  // Drops finished probes older than `cutoff_ms` so the file stays small.
  core::Status prune(std::int64_t cutoff_ms);

  // The reflector's memory of probes it answered, against replays.
  // True when `id` was not seen before (and is now recorded).
  core::Outcome<bool> remember_reflected(const std::string& id, std::int64_t seen_ms);
  // Undoes remember_reflected when the reflection could not be sent.
  core::Status forget_reflected(const std::string& id);

 private:
  RoundTripState(SqliteDb db, std::string check_key, std::string path)
      : db_(std::move(db)), check_key_(std::move(check_key)), path_(std::move(path)) {}
  core::Failure error(const std::string& what) const;

  SqliteDb db_;
  std::string check_key_;
  std::string path_;
};

// This boot's id (/proc/sys/kernel/random/boot_id): CLOCK_MONOTONIC readings of two
// processes are comparable only within one boot.
std::string current_boot_id();
std::int64_t monotonic_ns();

}  // namespace mailprobe::probes
