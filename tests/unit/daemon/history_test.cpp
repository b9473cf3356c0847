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
  history->record(
      result("smtp", now - 120'000, State::ok),
      ChangeRow{"smtp", now - 120'000, State::ok, State::critical, StateType::hard, ""});
  history->record(result("smtp", now, State::ok), std::nullopt);
  history->flush();  // the first batch is pruned before flush() returns
  auto rows = history->results("smtp", 0, 100);
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].time_ms, now);
  EXPECT_TRUE(history->changes(10).empty());
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

}  // namespace
}  // namespace mailprobe::daemon
