#include "output/nagios.hpp"

#include <gtest/gtest.h>

namespace mailprobe::output {
namespace {

core::Range range(std::string_view text) {
  return std::get<core::Range>(core::Range::parse(text));
}

core::ProbeResult smtp_ok() {
  core::ProbeResult result;
  result.service = "SMTP";
  result.summary = "0.012s response time, TLSv1.3";
  result.metrics.push_back({"time", 0.0123456, "s", range("1"), range("2"), 0.0, std::nullopt});
  result.metrics.push_back({"tls", 0.004, "s", std::nullopt, std::nullopt, 0.0, std::nullopt});
  result.metrics.push_back(
      {"cert_days", 364.5, "", range("30:"), range("14:"), std::nullopt, std::nullopt});
  return result;
}

TEST(Nagios, SummaryLineWithPerfdata) {
  EXPECT_EQ(render_nagios(smtp_ok()),
            "SMTP OK - 0.012s response time, TLSv1.3 | time=0.012346s;1;2;0 tls=0.004s;;;0 "
            "cert_days=364.5;30:;14:\n");
}

TEST(Nagios, LongOutputWithNotesAndNestedSubchecks) {
  auto result = smtp_ok();
  result.notes.push_back("certificate verification disabled (--insecure)");
  result.subchecks.push_back({core::State::ok,
                              "certificate chain",
                              {{core::State::warning, "CA expires in 20 days", {}}}});
  result.subchecks.push_back({core::State::ok, "AUTH PLAIN accepted", {}});
  EXPECT_EQ(render_nagios(result),
            "SMTP WARNING - CA expires in 20 days / 0.012s response time, TLSv1.3 | "
            "time=0.012346s;1;2;0 tls=0.004s;;;0 cert_days=364.5;30:;14:\n"
            "note: certificate verification disabled (--insecure)\n"
            "\\_ [WARNING] certificate chain\n"
            "    \\_ [WARNING] CA expires in 20 days\n"
            "\\_ [OK] AUTH PLAIN accepted\n");
}

TEST(Nagios, FailureWithoutMetrics) {
  core::ProbeResult result;
  result.service = "IMAP";
  result.fail({"greeting", core::FailureKind::timeout,
               "timeout after 10.0 s waiting for the IMAP greeting"});
  EXPECT_EQ(render_nagios(result),
            "IMAP CRITICAL - timeout after 10.0 s waiting for the IMAP greeting\n");
}

TEST(Nagios, PerfdataLabelsAreQuotedWhenNeeded) {
  core::Metric metric{"queue size", 3, "", std::nullopt, std::nullopt, std::nullopt, 10.0};
  EXPECT_EQ(render_perfdata_item(metric), "'queue size'=3;;;;10");
  metric.name = "it's=odd";
  EXPECT_EQ(render_perfdata_item(metric), "'it''s_odd'=3;;;;10");
  metric.name = "plain";
  metric.unit = "%";
  metric.max.reset();
  EXPECT_EQ(render_perfdata_item(metric), "plain=3%");
}

TEST(Nagios, ServerTextCannotBreakTheOutputContract) {
  core::ProbeResult result;
  result.service = "SMTP";
  result.state = core::State::critical;
  result.summary = "unexpected reply '554 no|way\r\n\x1b[31m'";
  EXPECT_EQ(render_nagios(result), "SMTP CRITICAL - unexpected reply '554 no/way???[31m'\n");
}

TEST(Nagios, TranscriptOnlyWhenAsked) {
  auto result = smtp_ok();
  result.transcript = {"S: 220 ready", "C: AUTH PLAIN <redacted>"};
  EXPECT_EQ(render_nagios(result).find("AUTH"), std::string::npos);
  EXPECT_NE(render_nagios(result, true).find("C: AUTH PLAIN <redacted>\n"), std::string::npos);
}

}  // namespace
}  // namespace mailprobe::output
