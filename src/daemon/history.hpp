#pragma once
// Every result and every state change, in an embedded SQLite database (WAL). One writer
// thread does all writing, off the I/O thread; a result is handed over without waiting and
// committed within milliseconds. Readers (the HTTP API) use their own connection: WAL
// lets them read while the writer writes. A kill -9 loses nothing committed and leaves
// the file consistent.

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/outcome.hpp"
#include "core/state.hpp"
#include "daemon/check_status.hpp"

namespace mailprobe::daemon {

struct ResultRow {
  std::string check;
  std::int64_t time_ms = 0;
  core::State state = core::State::unknown;
  StateType type = StateType::hard;
  int attempt = 1;
  std::string headline;
  double duration_seconds = 0;
  std::string metrics_json;  // {"rtt": 0.5, "time": 0.012}
};

struct ChangeRow {
  std::string check;
  std::int64_t time_ms = 0;
  core::State from = core::State::unknown;
  core::State to = core::State::unknown;
  StateType type = StateType::hard;
  std::string headline;
};

// A problem this daemon has notified and not yet seen recover: kept so that a restart
// neither repeats the notification nor forgets the recovery.
struct NotifiedRow {
  std::string check;
  core::State state = core::State::unknown;  // the state notified last
  std::int64_t first_ms = 0;                 // the first notification of the problem
  std::int64_t last_ms = 0;                  // the last one (a reminder, a changed state)
};

class History {
 public:
  // Opens (creating) the database; `retention_ms` is how long rows are kept.
  static core::Outcome<std::unique_ptr<History>> open(const std::string& path,
                                                      std::int64_t retention_ms);
  ~History();
  History(const History&) = delete;
  History& operator=(const History&) = delete;

  // Hands a result (and the state change it caused, if any) to the writer, which commits
  // it within 0.1 s, together with whatever else arrived meanwhile (at once with a change).
  void record(ResultRow result, std::optional<ChangeRow> change);
  // Hands over that `row.check` is notified (or, with nullopt, no longer): committed at
  // once.
  void set_notified(const std::string& check, std::optional<NotifiedRow> row);
  // Hands over the units of the metrics `check` measures (JSON: {"time": "s", ...}), for
  // a restart to restore its last values with their units; given when they change.
  void set_units(const std::string& check, std::string units_json);
  // Returns once everything handed over so far is committed (for shutdown and tests).
  void flush();

  // Results of `check` from `since_ms` on, oldest first, at most `limit`.
  std::vector<ResultRow> results(const std::string& check, std::int64_t since_ms, int limit);
  // State changes, newest first.
  std::vector<ChangeRow> changes(int limit);
  // The last stored result of `check` and when its state began: restores the status
  // after a restart.
  std::optional<std::pair<ResultRow, std::int64_t>> last(const std::string& check);

  // The units last handed over for `check`, if any.
  std::optional<std::string> units(const std::string& check);

  // Every problem notified and not yet recovered.
  std::vector<NotifiedRow> notified();

  // Writes that failed (full disk, a damaged file): /metrics shows them, the log says why.
  std::uint64_t write_errors() const { return write_errors_.load(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  // One unit of work for the writer: a result (with the change it caused), or a change of
  // what is notified.
  struct Entry {
    std::optional<ResultRow> result;
    std::optional<ChangeRow> change;
    std::string notified_check;                                // set: `notified` replaces its row
    std::optional<NotifiedRow> notified;                       // nullopt: delete the row
    std::optional<std::pair<std::string, std::string>> units;  // check, units JSON
  };
  History(std::unique_ptr<sqlite3, Closer> writer, std::unique_ptr<sqlite3, Closer> reader,
          std::int64_t retention_ms);
  void run();
  void enqueue(Entry entry);
  // The writer's statements, prepared once by the writer thread.
  struct WriterStatements;
  void write(const std::vector<Entry>& batch, WriterStatements& statements);
  void prune();
  void note_failure(int rc, const char* what);  // counts and logs a failed write

  std::unique_ptr<sqlite3, Closer> writer_db_;
  std::unique_ptr<sqlite3, Closer> reader_db_;
  std::int64_t retention_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable written_;
  std::deque<Entry> queue_;
  std::uint64_t queued_ = 0;  // guarded by mutex_
  std::uint64_t written_count_ = 0;
  bool stopping_ = false;
  bool urgent_ = false;             // a change or notified row is queued: commit now
  std::uint64_t flush_target_ = 0;  // flush() waits for this many entries: commit now
  std::atomic<std::uint64_t> write_errors_{0};
  // Empty until the first error is logged (writer thread only).
  std::optional<std::chrono::steady_clock::time_point> last_error_log_;
  std::thread thread_;
};

}  // namespace mailprobe::daemon
