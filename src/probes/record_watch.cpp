#include "probes/record_watch.hpp"

#include <filesystem>

#include "probes/sqlite_file.hpp"

namespace mailprobe::probes {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS watched_records (
  check_key TEXT NOT NULL,
  key       TEXT NOT NULL,
  value     TEXT NOT NULL,
  since_ms  INTEGER NOT NULL,
  PRIMARY KEY (check_key, key)
);
CREATE TABLE IF NOT EXISTS record_changes (
  check_key  TEXT NOT NULL,
  key        TEXT NOT NULL,
  old_value  TEXT NOT NULL,
  new_value  TEXT NOT NULL,
  changed_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS record_changes_by_check ON record_changes (check_key, changed_ms);
)sql";

// Changes kept per check: the history is for people, and a record that flaps every run
// must not grow the file without bound.
constexpr int kept_changes = 200;
// Another run (or the daemon) holding the file: wait this long for it.
constexpr int busy_ms = 2000;

core::Failure sql_failure(const std::string& path, sqlite3* db, const std::string& what) {
  return {"state", core::FailureKind::config,
          "state file " + path + ": " + what + ": " + sqlite3_errmsg(db)};
}

core::Outcome<std::vector<RecordChange>> select_changes(const std::string& path, sqlite3* db,
                                                        const std::string& check_key,
                                                        std::int64_t since_ms, std::size_t limit) {
  auto select = prepare_sql(db,
                            "SELECT key, old_value, new_value, changed_ms FROM record_changes "
                            "WHERE check_key = ? AND changed_ms >= ? "
                            "ORDER BY changed_ms DESC, rowid DESC LIMIT ?");
  if (!select) return sql_failure(path, db, "cannot read changes");
  bind_sql(select.get(), 1, check_key);
  bind_sql(select.get(), 2, since_ms);
  bind_sql(select.get(), 3, static_cast<std::int64_t>(limit));
  std::vector<RecordChange> changes;
  while (sqlite3_step(select.get()) == SQLITE_ROW) {
    changes.push_back({column_text(select.get(), 0), column_text(select.get(), 1),
                       column_text(select.get(), 2), sqlite3_column_int64(select.get(), 3)});
  }
  return changes;
}

}  // namespace

core::Outcome<WatchOutcome> watch_records(const std::string& path, const std::string& check_key,
                                          const std::vector<WatchedRecord>& records,
                                          std::int64_t now_ms, std::int64_t window_ms) {
  auto opened = open_sqlite_file(path, busy_ms, schema);
  if (!opened) return opened.failure();
  sqlite3* db = opened->get();
  bool ok = false;
  // One transaction: two runs at once each see the other's values whole, and a change is
  // recorded once (the second run finds the new value already stored).
  run_sql(db, "BEGIN IMMEDIATE", ok);
  if (!ok) return sql_failure(path, db, "cannot start a transaction");
  WatchOutcome outcome;
  for (const auto& record : records) {
    auto select =
        prepare_sql(db, "SELECT value FROM watched_records WHERE check_key = ? AND key = ?");
    if (!select) return sql_failure(path, db, "cannot read");
    bind_sql(select.get(), 1, check_key);
    bind_sql(select.get(), 2, record.key);
    if (sqlite3_step(select.get()) != SQLITE_ROW) {
      ++outcome.first_seen;
      run_sql(db,
              "INSERT INTO watched_records (check_key, key, value, since_ms) VALUES (?, ?, ?, ?)",
              ok, check_key, record.key, record.value, now_ms);
    } else {
      auto old_value = column_text(select.get(), 0);
      if (old_value == record.value) continue;
      run_sql(db,
              "UPDATE watched_records SET value = ?, since_ms = ? WHERE check_key = ? AND key = ?",
              ok, record.value, now_ms, check_key, record.key);
      if (ok) {
        run_sql(db,
                "INSERT INTO record_changes (check_key, key, old_value, new_value, changed_ms) "
                "VALUES (?, ?, ?, ?, ?)",
                ok, check_key, record.key, old_value, record.value, now_ms);
      }
    }
    if (!ok) return sql_failure(path, db, "cannot record a value");
  }
  run_sql(db,
          "DELETE FROM record_changes WHERE check_key = ? AND rowid NOT IN (SELECT rowid FROM "
          "record_changes WHERE check_key = ? ORDER BY changed_ms DESC, rowid DESC LIMIT ?)",
          ok, check_key, check_key, kept_changes);
  if (!ok) return sql_failure(path, db, "cannot prune changes");
  run_sql(db, "COMMIT", ok);
  if (!ok) return sql_failure(path, db, "cannot commit");
  auto recent = select_changes(path, db, check_key, now_ms - window_ms, kept_changes);
  if (!recent) return recent.failure();
  outcome.recent = std::move(*recent);
  return outcome;
}

core::Outcome<std::vector<RecordChange>> record_changes(const std::string& path,
                                                        const std::string& check_key,
                                                        std::size_t limit) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::vector<RecordChange>{};
  auto opened = open_sqlite_file(path, busy_ms, schema);
  if (!opened) return opened.failure();
  return select_changes(path, opened->get(), check_key, 0, limit);
}

}  // namespace mailprobe::probes
