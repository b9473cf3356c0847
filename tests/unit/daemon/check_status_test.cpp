#include "daemon/check_status.hpp"

#include <gtest/gtest.h>

namespace mailprobe::daemon {
namespace {

using core::State;

struct Checker {
  CheckStatus status;
  int max_attempts = 2;
  WallClock::time_point now = WallClock::time_point(std::chrono::seconds(1'800'000'000));
  Change feed(State state) {
    now += std::chrono::seconds(30);
    return apply_result(status, state, max_attempts, now);
  }
};

TEST(CheckStatus, AFirstOkIsNoChange) {
  Checker c;
  auto change = c.feed(State::ok);
  EXPECT_FALSE(change.state_changed);
  EXPECT_FALSE(change.hard_change);
  EXPECT_FALSE(c.status.pending);
  EXPECT_EQ(c.status.state, State::ok);
  EXPECT_EQ(c.status.type, StateType::hard);
  EXPECT_EQ(c.status.since, c.now);
}

TEST(CheckStatus, AFailureIsSoftThenHardAfterMaxAttempts) {
  Checker c;
  c.feed(State::ok);
  auto first = c.feed(State::critical);
  EXPECT_TRUE(first.state_changed);
  EXPECT_FALSE(first.hard_change);
  EXPECT_TRUE(first.retry);
  EXPECT_EQ(c.status.type, StateType::soft);
  EXPECT_EQ(c.status.attempt, 1);
  auto since = c.status.since;

  auto second = c.feed(State::critical);
  EXPECT_FALSE(second.state_changed);
  EXPECT_TRUE(second.hard_change);
  EXPECT_FALSE(second.retry);
  EXPECT_EQ(second.hard_from, State::ok);
  EXPECT_EQ(c.status.type, StateType::hard);
  EXPECT_EQ(c.status.attempt, 2);
  EXPECT_EQ(c.status.since, since);  // the problem began with the soft result

  auto third = c.feed(State::critical);
  EXPECT_FALSE(third.hard_change);
  EXPECT_FALSE(third.retry);

  auto recovery = c.feed(State::ok);
  EXPECT_TRUE(recovery.state_changed);
  EXPECT_TRUE(recovery.hard_change);
  EXPECT_EQ(recovery.hard_from, State::critical);
  EXPECT_EQ(c.status.type, StateType::hard);
  EXPECT_EQ(c.status.attempt, 1);
}

TEST(CheckStatus, ASoftFailureThatRecoversNeverNotifies) {
  Checker c;
  c.max_attempts = 3;
  c.feed(State::ok);
  EXPECT_TRUE(c.feed(State::critical).retry);
  EXPECT_TRUE(c.feed(State::critical).retry);
  EXPECT_EQ(c.status.attempt, 2);
  auto recovery = c.feed(State::ok);
  EXPECT_TRUE(recovery.state_changed);
  EXPECT_FALSE(recovery.hard_change);
}

TEST(CheckStatus, OneAttemptMakesTheFirstFailureHard) {
  Checker c;
  c.max_attempts = 1;
  auto change = c.feed(State::warning);
  EXPECT_TRUE(change.state_changed);  // a first result that is a problem is news
  EXPECT_TRUE(change.hard_change);
  EXPECT_FALSE(change.retry);
  EXPECT_EQ(c.status.type, StateType::hard);
}

TEST(CheckStatus, AChangeBetweenHardProblemsIsHard) {
  Checker c;
  c.max_attempts = 1;
  c.feed(State::warning);
  auto change = c.feed(State::critical);
  EXPECT_TRUE(change.hard_change);
  EXPECT_EQ(change.from, State::warning);
  EXPECT_EQ(change.hard_from, State::warning);
  EXPECT_FALSE(c.feed(State::critical).hard_change);
}

TEST(CheckStatus, SoftProblemsThatChangeKindCountAsOneProblem) {
  Checker c;
  c.feed(State::ok);
  c.feed(State::warning);
  auto change = c.feed(State::critical);
  EXPECT_TRUE(change.hard_change);
  EXPECT_EQ(c.status.hard_state, State::critical);
}

}  // namespace
}  // namespace mailprobe::daemon
