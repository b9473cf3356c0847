#include "daemon/history.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace mailprobe::daemon {
namespace {

namespace fs = std::filesystem;
using core::State;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(WallClock::now().time_since_epoch())
      .count();
}

class HistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("mailprobe-history-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::unique_ptr<History> open(std::int64_t retention_ms = 86'400'000) {
    auto history = History::open((dir_ / "sub" / "history.sqlite").string(), retention_ms);
    EXPECT_TRUE(history) << (history ? "" : history.failure().message);
    return history ? std::move(*history) : nullptr;
  }
  static ResultRow result(const std::string& check, std::int64_t time_ms, State state,
                          StateType type = StateType::hard) {
    return ResultRow{check, time_ms,          state, type, 1, "headline " + std::to_string(time_ms),
                     0.5,   R"({"time":0.5})"};
  }
  fs::path dir_;
};

TEST_F(HistoryTest, StoresResultsAndChangesAndSurvivesReopening) {
  auto t0 = now_ms() - 10'000;
  {
    auto history = open();
    ASSERT_TRUE(history);
    history->record(result("smtp", t0, State::ok), std::nullopt);
    history->record(
        result("smtp", t0 + 1000, State::critical, StateType::soft),
        ChangeRow{"smtp", t0 + 1000, State::ok, State::critical, StateType::soft, "down"});
    history->record(result("smtp", t0 + 2000, State::critical), std::nullopt);
    history->record(result("imap", t0 + 1500, State::ok), std::nullopt);
    history->flush();
    auto rows = history->results("smtp", 0, 100);
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0].time_ms, t0);  // oldest first
    EXPECT_EQ(rows[2].state, State::critical);
    EXPECT_EQ(rows[1].type, StateType::soft);
    EXPECT_EQ(rows[0].metrics_json, R"({"time":0.5})");
    EXPECT_DOUBLE_EQ(rows[0].duration_seconds, 0.5);
    // The newest `limit` rows since a time.
    auto newest = history->results("smtp", t0 + 1, 1);
    ASSERT_EQ(newest.size(), 1U);
    EXPECT_EQ(newest[0].time_ms, t0 + 2000);
  }
  auto history = open();
  ASSERT_TRUE(history);
  auto changes = history->changes(10);
  ASSERT_EQ(changes.size(), 1U);
  EXPECT_EQ(changes[0].check, "smtp");
  EXPECT_EQ(changes[0].to, State::critical);
  EXPECT_EQ(changes[0].headline, "down");

  auto last = history->last("smtp");
  ASSERT_TRUE(last);
  EXPECT_EQ(last->first.time_ms, t0 + 2000);
  EXPECT_EQ(last->second, t0 + 1000);  // critical since the change
  auto imap = history->last("imap");
  ASSERT_TRUE(imap);
  EXPECT_EQ(imap->second, t0 + 1500);  // never changed: since its first result
  EXPECT_FALSE(history->last("pop"));
  EXPECT_EQ(history->write_errors(), 0U);
}

TEST_F(HistoryTest, RetentionDropsOldRows) {
  auto history = open(60'000);
  ASSERT_TRUE(history);
  auto now = now_ms();
  // The units of a check whose every result is gone go too; a check with results keeps its.
  history->set_units("gone", R"({"time":"s"})");
  history->record(result("gone", now - 120'000, State::ok), std::nullopt);
  history->set_units("smtp", R"({"time":"s"})");
  history->record(
      result("smtp", now - 120'000, State::ok),
      ChangeRow{"smtp", now - 120'000, State::ok, State::critical, StateType::hard, ""});
  history->record(result("smtp", now, State::ok), std::nullopt);
  history->flush();  // the first batch is pruned before flush() returns
  auto rows = history->results("smtp", 0, 100);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].time_ms, now);
  EXPECT_TRUE(history->changes(10).empty());
  EXPECT_TRUE(history->results("gone", 0, 100).empty());
  EXPECT_FALSE(history->units("gone"));
  EXPECT_EQ(history->units("smtp"), R"({"time":"s"})");
}

// Retention deletes the oldest hour of results every hour: through an index on their time,
// not by reading every row kept (hundreds of millions at 10,000 checks a minute).
TEST_F(HistoryTest, RetentionFindsOldResultsThroughAnIndex) {
  auto history = open();
  ASSERT_TRUE(history);
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ / "sub" / "history.sqlite").c_str(), &raw, SQLITE_OPEN_READONLY,
                            nullptr),
            SQLITE_OK);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, &sqlite3_close);
  std::string plan;
  auto collect = [](void* out, int columns, char** values, char**) {
    for (int i = 0; i < columns; ++i)
      *static_cast<std::string*>(out) += std::string(values[i] != nullptr ? values[i] : "") + " ";
    return 0;
  };
  ASSERT_EQ(sqlite3_exec(db.get(), "EXPLAIN QUERY PLAN DELETE FROM results WHERE time_ms < 1",
                         collect, &plan, nullptr),
            SQLITE_OK);
  EXPECT_NE(plan.find("USING INDEX results_by_time"), std::string::npos) << plan;
}

TEST_F(HistoryTest, AnUnusablePathIsAnError) {
  fs::create_directories(dir_);
  auto file = dir_ / "not-a-dir";
  std::ofstream(file) << "x";
  auto history = History::open((file / "history.sqlite").string(), 1000);
  ASSERT_FALSE(history);
  EXPECT_NE(history.failure().message.find("not-a-dir/history.sqlite: cannot open"),
            std::string::npos)
      << history.failure().message;
}

// A history the daemon cannot use is refused before anything is written to it: the file
// stays byte for byte as it was.
std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_F(HistoryTest, AHistoryOfANewerSchemaIsRefusedAndLeftAsItWas) {
  auto file = dir_ / "sub" / "history.sqlite";
  open().reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, "PRAGMA user_version = 7", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto before = contents(file);
  auto history = History::open(file.string(), 1000);
  ASSERT_FALSE(history);
  EXPECT_EQ(history.failure().message,
            "database " + file.string() +
                ": schema version 7 is newer than this mailprobe's (1); use the mailprobe that "
                "wrote it, or another file");
  EXPECT_EQ(contents(file), before);
}

TEST_F(HistoryTest, AHistoryWithGarbageForItsTablesIsRefusedAndLeftAsItWas) {
  auto file = dir_ / "sub" / "history.sqlite";
  open().reset();
  auto damaged = contents(file);
  ASSERT_GT(damaged.size(), 4096U * 4);
  for (std::size_t i = 4096; i < 4096 * 4; ++i)
    damaged[i] = static_cast<char>(i * 7919 % 251);  // pages 2 to 4: the tables' roots
  std::ofstream(file, std::ios::binary | std::ios::trunc) << damaged;
  auto history = History::open(file.string(), 1000);
  ASSERT_FALSE(history);
  EXPECT_NE(history.failure().message.find(file.string() + ": damaged: "), std::string::npos)
      << history.failure().message;
  EXPECT_EQ(contents(file), damaged);
}

}  // namespace
}  // namespace mailprobe::daemon
