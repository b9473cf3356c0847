#pragma once
// What changed in a domain's DNS: check_mail_domain keeps the last value of every record it
// watches (SPF, DMARC, DKIM keys, BIMI, MX) in a small SQLite file, and tells a change for a
// while after it happened. Silent DNS edits are the usual cause of the outages these
// records cause, and "what changed?" is the first question an operator asks. The plugin
// keeps the file where --state-file says; the daemon keeps one in its data directory.

#include <cstdint>
#include <string>
#include <vector>

#include "core/outcome.hpp"
#include "probes/domain_part.hpp"

namespace mailprobe::probes {

struct RecordChange {
  std::string key;  // "TXT _dmarc.example.org"
  std::string old_value;
  std::string new_value;
  std::int64_t changed_ms = 0;  // when a run first saw the new value
};

struct WatchOutcome {
  // Changes seen within the window, this run's and earlier ones', newest first.
  std::vector<RecordChange> recent;
  // Records seen for the first time (nothing to compare with yet).
  std::size_t first_seen = 0;
};

// Compares `records` with what `path` holds for `check_key` (one file may serve several
// domains), records the new values and every change, and returns the changes younger than
// `window_ms`. A record this run could not read is simply not in `records`: a failed lookup
// is no change. Failures name the file.
core::Outcome<WatchOutcome> watch_records(const std::string& path, const std::string& check_key,
                                          const std::vector<WatchedRecord>& records,
                                          std::int64_t now_ms, std::int64_t window_ms);

// The last `limit` changes of `check_key`, newest first: the record history the dashboard
// shows. A file that does not exist yet has none.
core::Outcome<std::vector<RecordChange>> record_changes(const std::string& path,
                                                        const std::string& check_key,
                                                        std::size_t limit);

}  // namespace mailprobe::probes
