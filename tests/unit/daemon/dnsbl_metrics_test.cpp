// check_dnsbl's perfdata as the daemon exports it: a listing per list and address, each
// list's state as a state set, and nothing of it left under its raw perfdata name.

#include <gtest/gtest.h>

#include <chrono>

#include "daemon/metrics.hpp"
#include "output/prometheus.hpp"
#include "probes/dnsbl.hpp"

namespace mailprobe::daemon {
namespace {

core::Metric value(std::string name, double number) {
  return core::Metric{std::move(name), number, "", {}, {}, {}, {}};
}

TEST(ResultSamples, DnsblListingsAndListStatesBecomeSeries) {
  using probes::DnsblListState;
  std::vector<core::Metric> metrics{
      value("listings", 1),
      value(core::target_metric_name("bl.example", "192.0.2.1", "listed"), 1),
      value(core::target_metric_name("bl.example", "2001:db8::1", "listed"), 0),
      value(core::target_metric_name("dbl.example", "spam.example", "listed"), 1),
      value(core::target_metric_name("bl.example", probes::dnsbl_whole_list, "list_state"),
            static_cast<double>(DnsblListState::ok)),
      value(core::target_metric_name("zen.example", probes::dnsbl_whole_list, "list_state"),
            static_cast<double>(DnsblListState::refused)),
      {"time", 0.02, "s", {}, {}, 0, {}},
  };
  output::PrometheusText out;
  declare_result_families(out);
  add_result_samples(out, {{"check", "bl"}}, core::State::critical, 0.02, metrics,
                     std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000)));
  auto text = out.text();
  auto has = [&](const std::string& line) { return text.find(line + "\n") != std::string::npos; };
  EXPECT_TRUE(has(R"(mailprobe_dnsbl_listed{check="bl",list="bl.example",address="192.0.2.1"} 1)"))
      << text;
  EXPECT_TRUE(
      has(R"(mailprobe_dnsbl_listed{check="bl",list="bl.example",address="2001:db8::1"} 0)"))
      << text;
  EXPECT_TRUE(
      has(R"(mailprobe_dnsbl_listed{check="bl",list="dbl.example",address="spam.example"} 1)"))
      << text;
  EXPECT_TRUE(has(R"(mailprobe_dnsbl_list_state{check="bl",list="bl.example",state="ok"} 1)"))
      << text;
  EXPECT_TRUE(has(R"(mailprobe_dnsbl_list_state{check="bl",list="zen.example",state="refused"} 1)"))
      << text;
  EXPECT_TRUE(has(R"(mailprobe_dnsbl_list_state{check="bl",list="zen.example",state="ok"} 0)"))
      << text;
  EXPECT_TRUE(has(R"(mailprobe_result_value{check="bl",name="listings",unit=""} 1)")) << text;
  EXPECT_NE(text.find("# TYPE mailprobe_dnsbl_listed gauge"), std::string::npos) << text;
  EXPECT_NE(text.find("# TYPE mailprobe_dnsbl_list_state gauge"), std::string::npos) << text;
  EXPECT_EQ(text.find("[192.0.2.1]"), std::string::npos) << text;
  EXPECT_EQ(text.find("[*]"), std::string::npos) << text;
  EXPECT_EQ(text.find(R"(mx="bl.example")"), std::string::npos) << text;
}

}  // namespace
}  // namespace mailprobe::daemon
