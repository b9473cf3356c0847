#include "output/json.hpp"

#include <gtest/gtest.h>

namespace mailprobe::output {
namespace {

TEST(Json, GoldenDocument) {
  core::ProbeResult result;
  result.service = "POP";
  result.summary = "connection refused by 127.0.0.1:110";
  result.fail({"connect", core::FailureKind::refused, "connection refused by 127.0.0.1:110"});
  result.add_timing("resolve", 0.0);
  result.add_timing("connect", 0.0005);
  result.metrics.push_back({"time", 0.0005, "s", std::get<core::Range>(core::Range::parse("~:1")),
                            std::nullopt, 0.0, std::nullopt});
  result.subchecks.push_back({core::State::critical, "connect", {}});
  result.notes.push_back("IPv4 only (-4)");
  EXPECT_EQ(render_json(result),
            R"j({"service":"POP","state":"CRITICAL","exit_code":2,)j"
            R"j("summary":"connection refused by 127.0.0.1:110",)j"
            R"j("headline":"connection refused by 127.0.0.1:110 / connect",)j"
            R"j("subchecks":[{"state":"CRITICAL","summary":"connect","subchecks":[]}],)j"
            R"--("metrics":[{"name":"time","value":0.0005,"unit":"s","warning":"~:1","min":0}],)--"
            R"j("timings":[{"phase":"resolve","seconds":0},{"phase":"connect","seconds":0.0005}],)j"
            R"j("failure":{"phase":"connect","kind":"refused",)j"
            R"j("message":"connection refused by 127.0.0.1:110"},)j"
            R"j("notes":["IPv4 only (-4)"]})j"
            "\n");
}

TEST(Json, TranscriptIncludedWhenPresent) {
  core::ProbeResult result;
  result.service = "IMAP";
  result.transcript = {"S: * OK ready"};
  auto doc = to_json(result);
  EXPECT_EQ(doc.at("transcript").as_array().size(), 1u);
  EXPECT_TRUE(doc.at("failure").is_null());
  EXPECT_EQ(doc.at("state").as_string(), "OK");
}

}  // namespace
}  // namespace mailprobe::output
