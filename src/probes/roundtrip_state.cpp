#include "probes/roundtrip_state.hpp"

#include <time.h>

#include <fstream>

namespace mailprobe::probes {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS probes (
  id           TEXT PRIMARY KEY,
  check_key    TEXT NOT NULL,
  state        TEXT NOT NULL,
  sent_ms      INTEGER NOT NULL,
  sent_mono_ns INTEGER,
  boot_id      TEXT,
  arrived_ms   INTEGER,
  rtt_seconds  REAL,
  junk         INTEGER NOT NULL DEFAULT 0,
  lost_ms      INTEGER
);
CREATE INDEX IF NOT EXISTS probes_by_check ON probes (check_key, state);
CREATE TABLE IF NOT EXISTS reflected (
  id      TEXT PRIMARY KEY,
  seen_ms INTEGER NOT NULL
);
)sql";

}  // namespace

std::string current_boot_id() {
  std::ifstream file("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(file, id);
  return id;
}

std::int64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

core::Failure RoundTripState::error(const std::string& what) const {
  return {"state", core::FailureKind::config,
          "state file " + path_ + ": " + what + ": " + sqlite3_errmsg(db_.get())};
}

core::Outcome<RoundTripState> RoundTripState::open(const std::string& path, std::string check_key,
                                                   int busy_ms) {
  auto db = open_sqlite_file(path, busy_ms, schema);
  if (!db) return db.failure();
  return RoundTripState(std::move(*db), std::move(check_key), path);
}

core::Status RoundTripState::record_sending(const std::string& id, std::int64_t sent_ms) {
  bool ok = false;
  run_sql(db_.get(),
          "INSERT INTO probes (id, check_key, state, sent_ms) VALUES (?, ?, 'sending', ?)", ok, id,
          check_key_, sent_ms);
  if (!ok) return error("cannot record a probe");
  return core::success();
}

core::Status RoundTripState::record_sent(const std::string& id, std::int64_t sent_ms,
                                         std::int64_t mono_ns, const std::string& boot_id) {
  bool ok = false;
  run_sql(db_.get(),
          "UPDATE probes SET state = 'pending', sent_ms = ?, sent_mono_ns = ?, boot_id = ? "
          "WHERE id = ? AND state = 'sending'",
          ok, sent_ms, mono_ns, boot_id, id);
  if (!ok) return error("cannot record a sent probe");
  return core::success();
}

core::Status RoundTripState::forget(const std::string& id) {
  bool ok = false;
  run_sql(db_.get(), "DELETE FROM probes WHERE id = ? AND state = 'sending'", ok, id);
  if (!ok) return error("cannot drop a refused probe");
  return core::success();
}

core::Outcome<std::optional<StoredProbe>> RoundTripState::lookup(const std::string& id) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT state, sent_ms, sent_mono_ns, boot_id FROM probes "
                         "WHERE id = ? AND check_key = ?",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return error("cannot look up a probe");
  }
  SqliteStatement select(raw);
  sqlite3_bind_text(raw, 1, id.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(raw, 2, check_key_.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(raw) != SQLITE_ROW) return std::optional<StoredProbe>{};
  StoredProbe probe;
  probe.id = id;
  probe.state = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
  probe.sent_ms = sqlite3_column_int64(raw, 1);
  if (sqlite3_column_type(raw, 2) != SQLITE_NULL) probe.sent_mono_ns = sqlite3_column_int64(raw, 2);
  if (const auto* boot = sqlite3_column_text(raw, 3)) {
    probe.boot_id = reinterpret_cast<const char*>(boot);
  }
  return std::optional<StoredProbe>{probe};
}

core::Outcome<bool> RoundTripState::claim_arrival(const std::string& id, std::int64_t arrived_ms,
                                                  double rtt_seconds, bool junk) {
  bool ok = false;
  int changed =
      run_sql(db_.get(),
              "UPDATE probes SET state = CASE state WHEN 'lost' THEN 'late' ELSE 'arrived' "
              "END, arrived_ms = ?, rtt_seconds = ?, junk = ? "
              "WHERE id = ? AND check_key = ? AND state IN ('sending', 'pending', 'lost')",
              ok, arrived_ms, rtt_seconds, static_cast<std::int64_t>(junk ? 1 : 0), id, check_key_);
  if (!ok) return error("cannot record an arrival");
  return changed == 1;
}

core::Outcome<int> RoundTripState::declare_lost(std::int64_t cutoff_ms, std::int64_t now_ms) {
  bool ok = false;
  int changed = run_sql(db_.get(),
                        "UPDATE probes SET state = 'lost', lost_ms = ? WHERE check_key = ? AND "
                        "state IN ('sending', 'pending') AND sent_ms < ?",
                        ok, now_ms, check_key_, cutoff_ms);
  if (!ok) return error("cannot declare lost probes");
  return changed;
}

core::Outcome<std::vector<StoredProbe>> RoundTripState::outstanding() {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_.get(),
                         "SELECT id, state, sent_ms FROM probes WHERE check_key = ? AND "
                         "state IN ('sending', 'pending') ORDER BY sent_ms",
                         -1, &raw, nullptr) != SQLITE_OK) {
    return error("cannot list outstanding probes");
  }
  SqliteStatement statement(raw);
  sqlite3_bind_text(raw, 1, check_key_.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<StoredProbe> probes;
  while (sqlite3_step(raw) == SQLITE_ROW) {
    StoredProbe probe;
    probe.id = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    probe.state = reinterpret_cast<const char*>(sqlite3_column_text(raw, 1));
    probe.sent_ms = sqlite3_column_int64(raw, 2);
    probes.push_back(std::move(probe));
  }
  return probes;
}

core::Status RoundTripState::prune(std::int64_t cutoff_ms) {
  bool ok = false;
  run_sql(db_.get(),
          "DELETE FROM probes WHERE check_key = ? AND state IN ('arrived', 'late', 'lost') AND "
          "sent_ms < ?",
          ok, check_key_, cutoff_ms);
  if (!ok) return error("cannot prune");
  run_sql(db_.get(), "DELETE FROM reflected WHERE seen_ms < ?", ok, cutoff_ms);
  if (!ok) return error("cannot prune");
  return core::success();
}

core::Status RoundTripState::forget_reflected(const std::string& id) {
  bool ok = false;
  run_sql(db_.get(), "DELETE FROM reflected WHERE id = ?", ok, id);
  if (!ok) return error("cannot forget a reflected probe");
  return core::success();
}

core::Outcome<bool> RoundTripState::remember_reflected(const std::string& id,
                                                       std::int64_t seen_ms) {
  bool ok = false;
  int changed = run_sql(db_.get(), "INSERT OR IGNORE INTO reflected (id, seen_ms) VALUES (?, ?)",
                        ok, id, seen_ms);
  if (!ok) return error("cannot record a reflected probe");
  return changed == 1;
}

}  // namespace mailprobe::probes
