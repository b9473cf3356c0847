#include "output/prometheus.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace mailprobe::output {
namespace {

TEST(Prometheus, FamiliesHaveHelpAndTypeOnceAndSamplesUnderThem) {
  PrometheusText text;
  text.family("probe_success", "gauge", "Whether the check succeeded");
  text.family("probe_duration_seconds", "gauge", "How long the check took");
  text.sample("probe_success", {{"check", "smtp"}}, 1);
  text.sample("probe_duration_seconds", {{"check", "smtp"}}, 0.25);
  text.family("probe_success", "gauge", "declared again: ignored");
  text.sample("probe_success", {{"check", "imap"}}, 0);
  EXPECT_EQ(text.text(),
            "# HELP probe_success Whether the check succeeded\n"
            "# TYPE probe_success gauge\n"
            "probe_success{check=\"smtp\"} 1\n"
            "probe_success{check=\"imap\"} 0\n"
            "# HELP probe_duration_seconds How long the check took\n"
            "# TYPE probe_duration_seconds gauge\n"
            "probe_duration_seconds{check=\"smtp\"} 0.25\n");
}

TEST(Prometheus, SpecialValuesAndNoLabels) {
  PrometheusText text;
  text.family("x", "gauge", "x");
  text.sample("x", {}, std::numeric_limits<double>::quiet_NaN());
  text.sample("x", {}, std::numeric_limits<double>::infinity());
  text.sample("x", {}, 1e-3);
  EXPECT_EQ(text.text(), "# HELP x x\n# TYPE x gauge\nx NaN\nx +Inf\nx 0.001\n");
}

TEST(Prometheus, LabelValuesAreEscapedAndNamesSanitized) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(sanitize_name("role-name.x"), "role_name_x");
  EXPECT_EQ(sanitize_name("9lives"), "_lives");
  EXPECT_EQ(sanitize_name(""), "_");
  PrometheusText text;
  text.family("x", "gauge", "x");
  text.sample("x", {{"my-label", "say \"hi\""}}, 1);
  EXPECT_NE(text.text().find("x{my_label=\"say \\\"hi\\\"\"} 1\n"), std::string::npos);
}

TEST(Prometheus, Histogram) {
  PrometheusText text;
  text.family("rtt_seconds", "histogram", "Round trips");
  text.histogram("rtt_seconds", {{"check", "rt"}}, {{1, 2}, {10, 5}}, 17.5, 6);
  EXPECT_EQ(text.text(),
            "# HELP rtt_seconds Round trips\n"
            "# TYPE rtt_seconds histogram\n"
            "rtt_seconds_bucket{check=\"rt\",le=\"1\"} 2\n"
            "rtt_seconds_bucket{check=\"rt\",le=\"10\"} 5\n"
            "rtt_seconds_bucket{check=\"rt\",le=\"+Inf\"} 6\n"
            "rtt_seconds_sum{check=\"rt\"} 17.5\n"
            "rtt_seconds_count{check=\"rt\"} 6\n");
}

}  // namespace
}  // namespace mailprobe::output
