#include "daemon/history.hpp"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "daemon/history_sqlite.hpp"
#include "daemon/log.hpp"

namespace mailprobe::daemon {

namespace {

using sqlite::prepare;
using sqlite::Statement;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS results (
  id       INTEGER PRIMARY KEY,
  check_name TEXT NOT NULL,
  time_ms  INTEGER NOT NULL,
  state    INTEGER NOT NULL,
  hard     INTEGER NOT NULL,
  attempt  INTEGER NOT NULL,
  headline TEXT NOT NULL,
  duration REAL NOT NULL,
  metrics  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS results_by_check ON results (check_name, time_ms);
-- For retention: without it every prune reads the whole table (30 days of 10,000 checks a
-- minute are 432 million rows) to delete the oldest hour. Rows come in time order, so each
-- insert appends to its last page.
CREATE INDEX IF NOT EXISTS results_by_time ON results (time_ms);
CREATE TABLE IF NOT EXISTS changes (
  id       INTEGER PRIMARY KEY,
  check_name TEXT NOT NULL,
  time_ms  INTEGER NOT NULL,
  from_state INTEGER NOT NULL,
  to_state INTEGER NOT NULL,
  hard     INTEGER NOT NULL,
  headline TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS changes_by_time ON changes (time_ms);
CREATE TABLE IF NOT EXISTS units (
  check_name TEXT PRIMARY KEY,
  units    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notified (
  check_name TEXT PRIMARY KEY,
  state    INTEGER NOT NULL,
  first_ms INTEGER NOT NULL,
  last_ms  INTEGER NOT NULL
);
)sql";

// How long the writer waits for more results before it commits what it has.
constexpr auto batch_window = std::chrono::milliseconds(100);

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The version of the tables above, kept in the file's user_version: a larger one was
// written by a newer mailprobe, whose tables this one must not write into. 0 is a new file,
// or one from before versions were kept.
constexpr int schema_version = 1;

// Why the file cannot be the history, found before anything is written to it (a file
// refused is left as it was): read-only to this process (SQLite then opens it read-only
// without a word), not an SQLite database, from a newer mailprobe, or damaged where a start
// reads and the writer appends: the schema and the newest end of each table and index.
// Damage among older rows shows when they are read or pruned (logged, counted as write
// errors): checking every page would make a start read the whole file.
std::optional<std::string> unusable(sqlite3* db) {
  if (sqlite3_db_readonly(db, "main") == 1) return "not writable (opened read-only)";
  auto version = prepare(db, "PRAGMA user_version");
  if (version == nullptr || sqlite3_step(version.get()) != SQLITE_ROW) return sqlite3_errmsg(db);
  if (int found = sqlite3_column_int(version.get(), 0); found > schema_version) {
    return "schema version " + std::to_string(found) + " is newer than this mailprobe's (" +
           std::to_string(schema_version) + "); use the mailprobe that wrote it, or another file";
  }
  for (const char* sql :
       {"SELECT max(id) FROM results", "SELECT max(id) FROM changes",
        "SELECT check_name, time_ms FROM results ORDER BY check_name DESC, time_ms DESC LIMIT 1",
        "SELECT time_ms FROM changes ORDER BY time_ms DESC LIMIT 1",
        "SELECT max(check_name) FROM units", "SELECT max(check_name) FROM notified"}) {
    sqlite3_stmt* raw = nullptr;
    int rc = sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
    Statement statement(raw);
    if (rc == SQLITE_ERROR) continue;  // no such table: a new file
    if (rc == SQLITE_OK) rc = sqlite3_step(raw);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return std::string("damaged: ") + sqlite3_errmsg(db);
  }
  return std::nullopt;
}

}  // namespace

core::Outcome<std::unique_ptr<History>> History::open(const std::string& path,
                                                      std::int64_t retention_ms) {
  auto fail = [&](const std::string& what, sqlite3* db) -> core::Outcome<std::unique_ptr<History>> {
    return core::Failure{"history", core::FailureKind::config,
                         "database " + path + ": " + what +
                             (db != nullptr ? std::string(": ") + sqlite3_errmsg(db) : "")};
  };
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<sqlite3, Closer> writer(raw);
  if (rc != SQLITE_OK) return fail("cannot open", raw);
  sqlite3_busy_timeout(writer.get(), 5000);
  if (auto why = unusable(writer.get())) return fail(*why, nullptr);
  // WAL: readers and the writer do not block each other. NORMAL: in WAL mode a process
  // crash loses nothing committed (only a power loss could lose the last transactions).
  auto version = "PRAGMA user_version = " + std::to_string(schema_version);
  for (const char* sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", schema, version.c_str()}) {
    if (sqlite3_exec(writer.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return fail("cannot prepare", writer.get());
    }
  }
  raw = nullptr;
  rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr);
  std::unique_ptr<sqlite3, Closer> reader(raw);
  if (rc != SQLITE_OK) return fail("cannot open for reading", raw);
  sqlite3_busy_timeout(reader.get(), 1000);
  return std::unique_ptr<History>(new History(std::move(writer), std::move(reader), retention_ms));
}

History::History(std::unique_ptr<sqlite3, Closer> writer, std::unique_ptr<sqlite3, Closer> reader,
                 std::int64_t retention_ms)
    : writer_db_(std::move(writer)), reader_db_(std::move(reader)), retention_ms_(retention_ms) {
  thread_ = std::thread([this] { run(); });
}

History::~History() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void History::record(ResultRow result, std::optional<ChangeRow> change) {
  enqueue(Entry{std::move(result), std::move(change), {}, {}, {}});
}

void History::set_notified(const std::string& check, std::optional<NotifiedRow> row) {
  enqueue(Entry{{}, {}, check, std::move(row), {}});
}

void History::set_units(const std::string& check, std::string units_json) {
  enqueue(Entry{{}, {}, {}, {}, std::make_pair(check, std::move(units_json))});
}

void History::enqueue(Entry entry) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    // The writer waits for a first entry, then for the batch window to end: it is woken
    // for the first one, and for what is written at once: a state change (the history
    // of changes agrees with the checks' states) and what is notified (a restart must not
    // repeat a notification). Both are rare.
    bool urgent = entry.change.has_value() || !entry.notified_check.empty();
    wake = queue_.empty() || urgent;
    if (urgent) urgent_ = true;
    queue_.push_back(std::move(entry));
    ++queued_;
  }
  if (wake) wake_.notify_one();
}

void History::flush() {
  std::unique_lock lock(mutex_);
  auto target = queued_;
  flush_target_ = std::max(flush_target_, target);
  wake_.notify_one();
  written_.wait(lock, [&] { return written_count_ >= target; });
}

struct History::WriterStatements {
  Statement insert_result;
  Statement insert_change;
  Statement upsert_notified;
  Statement delete_notified;
  Statement upsert_units;

  explicit WriterStatements(sqlite3* db)
      : insert_result(prepare(db,
                              "INSERT INTO results (check_name, time_ms, state, hard, attempt, "
                              "headline, duration, metrics) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")),
        insert_change(prepare(db,
                              "INSERT INTO changes (check_name, time_ms, from_state, to_state, "
                              "hard, headline) VALUES (?, ?, ?, ?, ?, ?)")),
        upsert_notified(prepare(db,
                                "INSERT OR REPLACE INTO notified (check_name, state, first_ms, "
                                "last_ms) VALUES (?, ?, ?, ?)")),
        delete_notified(prepare(db, "DELETE FROM notified WHERE check_name = ?")),
        upsert_units(
            prepare(db, "INSERT OR REPLACE INTO units (check_name, units) VALUES (?, ?)")) {}
};

void History::run() {
  // Empty until the first prune, which runs at start: the steady clock's epoch is the
  // machine's boot, so "long ago" would not be long ago on a machine that just booted.
  std::optional<std::chrono::steady_clock::time_point> last_prune;
  // Prepared once: compiling the four statements for every batch cost more than writing.
  WriterStatements statements(writer_db_.get());
  for (;;) {
    std::vector<Entry> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::minutes(1), [&] { return stopping_ || !queue_.empty(); });
      // Group commit: what arrives within batch_window goes into one transaction. A
      // transaction per result cost more (its WAL write and the wake-ups) than its rows.
      if (!queue_.empty()) {
        wake_.wait_for(lock, batch_window,
                       [&] { return stopping_ || urgent_ || flush_target_ > written_count_; });
      }
      urgent_ = false;
      while (!queue_.empty()) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      if (batch.empty() && stopping_) return;
    }
    if (!batch.empty()) write(batch, statements);
    // Retention, once an hour (and at start).
    auto now = std::chrono::steady_clock::now();
    if (!last_prune || now - *last_prune > std::chrono::hours(1)) {
      last_prune = now;
      prune();
    }
    {
      std::lock_guard lock(mutex_);
      written_count_ += batch.size();
    }
    written_.notify_all();
  }
}

void History::prune() {
  auto cutoff = now_ms() - retention_ms_;
  for (const char* sql :
       {"DELETE FROM results WHERE time_ms < ?", "DELETE FROM changes WHERE time_ms < ?"}) {
    auto statement = prepare(writer_db_.get(), sql);
    sqlite3_bind_int64(statement.get(), 1, cutoff);
    note_failure(sqlite3_step(statement.get()), "cannot delete old rows");
  }
  // The units of checks that have no results left (removed from the configuration): a
  // lookup in results_by_check per check, not a walk over every result.
  note_failure(sqlite3_exec(writer_db_.get(),
                            "DELETE FROM units WHERE NOT EXISTS (SELECT 1 FROM results "
                            "WHERE results.check_name = units.check_name)",
                            nullptr, nullptr, nullptr),
               "cannot delete old units");
}

void History::note_failure(int rc, const char* what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return;
  write_errors_.fetch_add(1);
  // Once a minute at most: a full disk must not flood the log.
  auto now = std::chrono::steady_clock::now();
  if (!last_error_log_ || now - *last_error_log_ > std::chrono::minutes(1)) {
    last_error_log_ = now;
    log("history: " + std::string(what) + ": " + sqlite3_errmsg(writer_db_.get()), Priority::error);
  }
}

void History::write(const std::vector<Entry>& batch, WriterStatements& statements) {
  auto* db = writer_db_.get();
  note_failure(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr), "cannot begin a transaction");
  for (const auto& entry : batch) {
    if (const auto& result = entry.result) {
      auto* s = statements.insert_result.get();
      sqlite3_bind_text(s, 1, result->check.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(s, 2, result->time_ms);
      sqlite3_bind_int(s, 3, static_cast<int>(result->state));
      sqlite3_bind_int(s, 4, result->type == StateType::hard ? 1 : 0);
      sqlite3_bind_int(s, 5, result->attempt);
      sqlite3_bind_text(s, 6, result->headline.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_double(s, 7, result->duration_seconds);
      sqlite3_bind_text(s, 8, result->metrics_json.c_str(), -1, SQLITE_TRANSIENT);
      note_failure(sqlite3_step(s), "cannot store a result");
      sqlite3_reset(s);  // holds nothing until its next use
    }
    if (const auto& change = entry.change) {
      auto* c = statements.insert_change.get();
      sqlite3_bind_text(c, 1, change->check.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64(c, 2, change->time_ms);
      sqlite3_bind_int(c, 3, static_cast<int>(change->from));
      sqlite3_bind_int(c, 4, static_cast<int>(change->to));
      sqlite3_bind_int(c, 5, change->type == StateType::hard ? 1 : 0);
      sqlite3_bind_text(c, 6, change->headline.c_str(), -1, SQLITE_TRANSIENT);
      note_failure(sqlite3_step(c), "cannot store a state change");
      sqlite3_reset(c);  // holds nothing until its next use
    }
    if (const auto& units = entry.units) {
      auto* u = statements.upsert_units.get();
      sqlite3_bind_text(u, 1, units->first.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(u, 2, units->second.c_str(), -1, SQLITE_TRANSIENT);
      note_failure(sqlite3_step(u), "cannot store the units of a check");
      sqlite3_reset(u);  // holds nothing until its next use
    }
    if (entry.notified_check.empty()) continue;
    if (const auto& notified = entry.notified) {
      auto* n = statements.upsert_notified.get();
      sqlite3_bind_text(n, 1, entry.notified_check.c_str(), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(n, 2, static_cast<int>(notified->state));
      sqlite3_bind_int64(n, 3, notified->first_ms);
      sqlite3_bind_int64(n, 4, notified->last_ms);
      note_failure(sqlite3_step(n), "cannot store a notification");
      sqlite3_reset(n);  // holds nothing until its next use
    } else {
      auto* d = statements.delete_notified.get();
      sqlite3_bind_text(d, 1, entry.notified_check.c_str(), -1, SQLITE_TRANSIENT);
      note_failure(sqlite3_step(d), "cannot store a recovery notification");
      sqlite3_reset(d);  // holds nothing until its next use
    }
  }
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
    note_failure(SQLITE_ERROR, "cannot commit");
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

}  // namespace mailprobe::daemon
