#pragma once
// SQLite statements as the history's writer and readers use them (history.cpp,
// history_read.cpp): prepared, finalized on scope exit, columns read without surprises.
#include <sqlite3.h>

#include <memory>
#include <string>

#include "core/state.hpp"

namespace mailprobe::daemon::sqlite {

struct Finalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Statement = std::unique_ptr<sqlite3_stmt, Finalizer>;

// A prepared statement, or null when `sql` does not compile against the file's tables.
inline Statement prepare(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  sqlite3_prepare_v2(db, sql, -1, &raw, nullptr);
  return Statement(raw);
}

// A text column, "" for NULL.
inline std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  return text != nullptr ? reinterpret_cast<const char*>(text) : "";
}

// A stored state; a value no version wrote reads as unknown.
inline core::State state_of(int value) {
  return value >= 0 && value <= 3 ? static_cast<core::State>(value) : core::State::unknown;
}

}  // namespace mailprobe::daemon::sqlite
