#pragma once
// A small SQLite file a check keeps between runs (the round trip's probes, check_mail_domain's
// watched records): opened the same way everywhere, statements run with bound values.
// WAL: readers never block the writer; synchronous FULL: a committed change survives a crash.

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include "core/outcome.hpp"

namespace mailprobe::probes {

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using SqliteDb = std::unique_ptr<sqlite3, SqliteCloser>;

struct SqliteFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using SqliteStatement = std::unique_ptr<sqlite3_stmt, SqliteFinalizer>;

// Opens `path` (creating its directory and the file), waits up to `busy_ms` for another
// process's transaction, and runs `schema`. Failures (kind config, phase "state") name the
// file: "cannot open state file PATH: ...".
core::Outcome<SqliteDb> open_sqlite_file(const std::string& path, int busy_ms, const char* schema);

// The statement, or null when SQLite refuses it.
SqliteStatement prepare_sql(sqlite3* db, const char* sql);

// Binds std::string, double, std::optional<std::int64_t> (NULL when empty) or an integer.
template <class T>
void bind_sql(sqlite3_stmt* statement, int index, const T& value) {
  if constexpr (std::is_same_v<T, std::string>) {
    sqlite3_bind_text(statement, index, value.c_str(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
  } else if constexpr (std::is_same_v<T, double>) {
    sqlite3_bind_double(statement, index, value);
  } else if constexpr (std::is_same_v<T, std::optional<std::int64_t>>) {
    if (value) {
      sqlite3_bind_int64(statement, index, *value);
    } else {
      sqlite3_bind_null(statement, index);
    }
  } else {
    sqlite3_bind_int64(statement, index, static_cast<sqlite3_int64>(value));
  }
}

// Runs one statement with its parameters bound in order; returns sqlite3_changes, and sets
// `ok` to whether it ran.
template <class... Args>
int run_sql(sqlite3* db, const char* sql, bool& ok, const Args&... args) {
  auto statement = prepare_sql(db, sql);
  ok = statement != nullptr;
  if (!ok) return 0;
  int index = 0;
  (bind_sql(statement.get(), ++index, args), ...);
  int rc = sqlite3_step(statement.get());
  ok = rc == SQLITE_DONE || rc == SQLITE_ROW;
  return ok ? sqlite3_changes(db) : 0;
}

// A text column, "" for NULL.
std::string column_text(sqlite3_stmt* statement, int column);

}  // namespace mailprobe::probes
