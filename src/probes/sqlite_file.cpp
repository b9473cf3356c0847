#include "probes/sqlite_file.hpp"

#include <filesystem>

namespace mailprobe::probes {

core::Outcome<SqliteDb> open_sqlite_file(const std::string& path, int busy_ms, const char* schema) {
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  SqliteDb db(raw);
  auto failure = [&](const std::string& what) {
    return core::Failure{"state", core::FailureKind::config,
                         what + " state file " + path + ": " +
                             (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  };
  if (rc != SQLITE_OK) return failure("cannot open");
  sqlite3_busy_timeout(db.get(), busy_ms);
  for (const char* sql : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", schema}) {
    if (sqlite3_exec(db.get(), sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return failure("cannot prepare");
    }
  }
  return db;
}

SqliteStatement prepare_sql(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    sqlite3_finalize(raw);
    return nullptr;
  }
  return SqliteStatement(raw);
}

std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = sqlite3_column_text(statement, column);
  if (text == nullptr) return {};
  return {reinterpret_cast<const char*>(text),
          static_cast<std::size_t>(sqlite3_column_bytes(statement, column))};
}

}  // namespace mailprobe::probes
