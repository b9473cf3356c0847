// Change detection of check_mail_domain: the first run keeps values, a changed value is
// reported (with the old one) for the window, a failed lookup (a record missing from the
// run) is no change, and the history stays bounded.

#include "probes/record_watch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace mailprobe::probes {
namespace {

class RecordWatch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mailprobe-watch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    path_ = (dir_ / "state.sqlite").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  WatchOutcome watch(const std::vector<WatchedRecord>& records, std::int64_t now_ms,
                     std::int64_t window_ms = 3600000) {
    auto outcome = watch_records(path_, "example.org", records, now_ms, window_ms);
    EXPECT_TRUE(outcome) << (outcome ? "" : outcome.failure().message);
    return outcome ? *outcome : WatchOutcome{};
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(RecordWatch, FirstRunKeepsValuesWithoutChanges) {
  auto first = watch({{"TXT example.org", "v=spf1 -all"}, {"TXT _dmarc.example.org", ""}}, 1000);
  EXPECT_EQ(first.first_seen, 2U);
  EXPECT_TRUE(first.recent.empty());
  auto again = watch({{"TXT example.org", "v=spf1 -all"}, {"TXT _dmarc.example.org", ""}}, 2000);
  EXPECT_EQ(again.first_seen, 0U);
  EXPECT_TRUE(again.recent.empty());
}

TEST_F(RecordWatch, AChangeIsToldWithOldAndNewForTheWindow) {
  watch({{"TXT example.org", "v=spf1 mx -all"}}, 1000);
  auto changed = watch({{"TXT example.org", "v=spf1 mx include:mail.example.net -all"}}, 5000);
  ASSERT_EQ(changed.recent.size(), 1U);
  EXPECT_EQ(changed.recent[0].key, "TXT example.org");
  EXPECT_EQ(changed.recent[0].old_value, "v=spf1 mx -all");
  EXPECT_EQ(changed.recent[0].new_value, "v=spf1 mx include:mail.example.net -all");
  EXPECT_EQ(changed.recent[0].changed_ms, 5000);
  // Still within the hour: still told, and not counted twice.
  auto later = watch({{"TXT example.org", "v=spf1 mx include:mail.example.net -all"}}, 60000);
  EXPECT_EQ(later.recent.size(), 1U);
  // After it: quiet again, but the history keeps it.
  auto quiet =
      watch({{"TXT example.org", "v=spf1 mx include:mail.example.net -all"}}, 5000 + 3600000 + 1);
  EXPECT_TRUE(quiet.recent.empty());
  auto history = record_changes(path_, "example.org", 10);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 1U);
}

TEST_F(RecordWatch, ARecordMissingFromARunIsNoChange) {
  watch({{"TXT example.org", "v=spf1 -all"}, {"TXT _dmarc.example.org", "v=DMARC1; p=none"}}, 1);
  // The DMARC lookup failed this time: the part left it out.
  auto partial = watch({{"TXT example.org", "v=spf1 -all"}}, 2);
  EXPECT_TRUE(partial.recent.empty());
  auto back = watch({{"TXT _dmarc.example.org", "v=DMARC1; p=none"}}, 3);
  EXPECT_TRUE(back.recent.empty());
}

TEST_F(RecordWatch, ARemovedRecordIsAChangeToNothing) {
  watch({{"TXT _dmarc.example.org", "v=DMARC1; p=reject"}}, 1);
  auto removed = watch({{"TXT _dmarc.example.org", ""}}, 2);
  ASSERT_EQ(removed.recent.size(), 1U);
  EXPECT_EQ(removed.recent[0].new_value, "");
}

TEST_F(RecordWatch, DomainsSharingAFileAreApart) {
  watch({{"TXT example.org", "a"}}, 1);
  auto other = watch_records(path_, "example.net", {{"TXT example.org", "b"}}, 2, 3600000);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->first_seen, 1U);
  EXPECT_TRUE(other->recent.empty());
}

TEST_F(RecordWatch, AFlappingRecordKeepsABoundedHistory) {
  for (int i = 0; i < 260; ++i)
    watch({{"TXT example.org", i % 2 == 0 ? "a" : "b"}}, i + 1);
  auto history = record_changes(path_, "example.org", 1000);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->size(), 200U);
  EXPECT_EQ(history->front().changed_ms, 260);  // newest first
}

TEST_F(RecordWatch, AFileThatCannotBeWrittenIsNamed) {
  std::filesystem::create_directories(dir_);
  auto blocked = (dir_ / "not-a-dir").string();
  {
    std::FILE* f = std::fopen(blocked.c_str(), "w");
    std::fclose(f);
  }
  auto outcome = watch_records(blocked + "/state.sqlite", "example.org", {{"k", "v"}}, 1, 1);
  ASSERT_FALSE(outcome);
  EXPECT_NE(outcome.failure().message.find(blocked + "/state.sqlite"), std::string::npos)
      << outcome.failure().message;
}

TEST_F(RecordWatch, NoFileYetMeansNoHistory) {
  auto history = record_changes(path_, "example.org", 10);
  ASSERT_TRUE(history);
  EXPECT_TRUE(history->empty());
}

}  // namespace
}  // namespace mailprobe::probes
