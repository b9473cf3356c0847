// Reading the history, on the reader's own connection: results and changes for the API and
// the dashboard, a check's last result and state for the restore at start, its units, and
// the problems already notified.
#include "daemon/history.hpp"
#include "daemon/history_sqlite.hpp"

namespace mailprobe::daemon {

using sqlite::column_text;
using sqlite::prepare;
using sqlite::state_of;

std::vector<ResultRow> History::results(const std::string& check, std::int64_t since_ms,
                                        int limit) {
  // The newest `limit` results since `since_ms`, returned oldest first.
  auto statement = prepare(reader_db_.get(),
                           "SELECT time_ms, state, hard, attempt, headline, duration, metrics FROM "
                           "(SELECT * FROM results WHERE check_name = ? AND time_ms >= ? "
                           "ORDER BY time_ms DESC LIMIT ?) ORDER BY time_ms");
  std::vector<ResultRow> rows;
  auto* s = statement.get();
  if (s == nullptr) return rows;
  sqlite3_bind_text(s, 1, check.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(s, 2, since_ms);
  sqlite3_bind_int(s, 3, limit);
  while (sqlite3_step(s) == SQLITE_ROW) {
    ResultRow row;
    row.check = check;
    row.time_ms = sqlite3_column_int64(s, 0);
    row.state = state_of(sqlite3_column_int(s, 1));
    row.type = sqlite3_column_int(s, 2) != 0 ? StateType::hard : StateType::soft;
    row.attempt = sqlite3_column_int(s, 3);
    row.headline = column_text(s, 4);
    row.duration_seconds = sqlite3_column_double(s, 5);
    row.metrics_json = column_text(s, 6);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<ChangeRow> History::changes(int limit) {
  auto statement = prepare(reader_db_.get(),
                           "SELECT check_name, time_ms, from_state, to_state, hard, headline FROM "
                           "changes ORDER BY time_ms DESC, id DESC LIMIT ?");
  std::vector<ChangeRow> rows;
  auto* s = statement.get();
  if (s == nullptr) return rows;
  sqlite3_bind_int(s, 1, limit);
  while (sqlite3_step(s) == SQLITE_ROW) {
    ChangeRow row;
    row.check = column_text(s, 0);
    row.time_ms = sqlite3_column_int64(s, 1);
    row.from = state_of(sqlite3_column_int(s, 2));
    row.to = state_of(sqlite3_column_int(s, 3));
    row.type = sqlite3_column_int(s, 4) != 0 ? StateType::hard : StateType::soft;
    row.headline = column_text(s, 5);
    rows.push_back(std::move(row));
  }
  return rows;
}

std::optional<std::pair<ResultRow, std::int64_t>> History::last(const std::string& check) {
  auto rows = results(check, 0, 1);
  if (rows.empty()) return std::nullopt;
  // The state began at the check's last change; a check that never changed has been in
  // its state since its first result.
  auto statement =
      prepare(reader_db_.get(),
              "SELECT COALESCE((SELECT MAX(time_ms) FROM changes WHERE check_name = ?1),"
              " (SELECT MIN(time_ms) FROM results WHERE check_name = ?1))");
  std::int64_t since = rows.front().time_ms;
  if (auto* s = statement.get()) {
    sqlite3_bind_text(s, 1, check.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
      since = sqlite3_column_int64(s, 0);
    }
  }
  return std::make_pair(rows.front(), since);
}

std::optional<std::string> History::units(const std::string& check) {
  auto statement = prepare(reader_db_.get(), "SELECT units FROM units WHERE check_name = ?");
  auto* s = statement.get();
  if (s == nullptr) return std::nullopt;
  sqlite3_bind_text(s, 1, check.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(s) != SQLITE_ROW) return std::nullopt;
  return column_text(s, 0);
}

std::vector<NotifiedRow> History::notified() {
  auto statement =
      prepare(reader_db_.get(), "SELECT check_name, state, first_ms, last_ms FROM notified");
  std::vector<NotifiedRow> rows;
  auto* s = statement.get();
  if (s == nullptr) return rows;
  while (sqlite3_step(s) == SQLITE_ROW) {
    rows.push_back(NotifiedRow{column_text(s, 0), state_of(sqlite3_column_int(s, 1)),
                               sqlite3_column_int64(s, 2), sqlite3_column_int64(s, 3)});
  }
  return rows;
}

}  // namespace mailprobe::daemon
