#include "core/state.hpp"

#include <gtest/gtest.h>

#include "core/result.hpp"

namespace mailprobe::core {
namespace {

TEST(State, NamesAndExitCodes) {
  EXPECT_EQ(state_name(State::ok), "OK");
  EXPECT_EQ(state_name(State::warning), "WARNING");
  EXPECT_EQ(state_name(State::critical), "CRITICAL");
  EXPECT_EQ(state_name(State::unknown), "UNKNOWN");
  EXPECT_EQ(exit_code(State::ok), 0);
  EXPECT_EQ(exit_code(State::warning), 1);
  EXPECT_EQ(exit_code(State::critical), 2);
  EXPECT_EQ(exit_code(State::unknown), 3);
}

TEST(State, RollUpOrder) {
  EXPECT_EQ(worse(State::ok, State::unknown), State::unknown);
  EXPECT_EQ(worse(State::unknown, State::warning), State::warning);
  EXPECT_EQ(worse(State::warning, State::critical), State::critical);
  EXPECT_EQ(worse(State::critical, State::unknown), State::critical);
  EXPECT_EQ(worse(State::ok, State::ok), State::ok);
}

TEST(State, ParsesOptionSpellings) {
  EXPECT_EQ(parse_state("ok"), State::ok);
  EXPECT_EQ(parse_state("WARN"), State::warning);
  EXPECT_EQ(parse_state("crit"), State::critical);
  EXPECT_EQ(parse_state("Critical"), State::critical);
  EXPECT_FALSE(parse_state("fatal"));
}

TEST(Result, SubchecksRollUpIntoTheSummaryState) {
  ProbeResult result;
  result.state = State::ok;
  Subcheck tls{State::ok, "TLS ok", {}};
  Subcheck cert{State::ok, "certificate", {{State::warning, "expires in 10 days", {}}}};
  result.subchecks = {tls, cert};
  EXPECT_EQ(result.overall(), State::warning);
  result.subchecks.push_back({State::critical, "auth failed", {}});
  EXPECT_EQ(result.overall(), State::critical);
}

TEST(Result, FailSetsStateAndSummary) {
  ProbeResult result;
  result.fail({"connect", FailureKind::refused, "connection refused by 127.0.0.1:25"});
  EXPECT_EQ(result.overall(), State::critical);
  EXPECT_EQ(result.summary, "connection refused by 127.0.0.1:25");
  ASSERT_TRUE(result.failure);
  EXPECT_EQ(result.failure->phase, "connect");
}

TEST(Result, TargetMetricNamesAreWrittenAndReadBack) {
  EXPECT_EQ(target_metric_name("mx1.example.org", "2001:db8::25", "connect"),
            "mx1.example.org[2001:db8::25]_connect");
  auto parsed = parse_target_metric_name("mx1.example.org[2001:db8::25]_cert_days");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->host, "mx1.example.org");
  EXPECT_EQ(parsed->address, "2001:db8::25");
  EXPECT_EQ(parsed->series, "cert_days");
  // Names of one-target checks are not target names.
  for (const char* plain : {"time", "cert_days", "[1.2.3.4]_up", "mx[]_up", "mx[1.2.3.4]_",
                            "mx[1.2.3.4]up", "mx[1[2]_up", "mx[1.2.3.4"}) {
    EXPECT_FALSE(parse_target_metric_name(plain)) << plain;
  }
}

}  // namespace
}  // namespace mailprobe::core
