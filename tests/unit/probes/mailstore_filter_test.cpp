// check_mailstore's job filters, compare operators, periods in time zones and the licence
// verdict, without I/O.

#include "probes/mailstore_filter.hpp"

#include <date/tz.h>
#include <gtest/gtest.h>

#include "core/windows_zones.hpp"
#include "probes/mailstore_license.hpp"
#include "probes/mailstore_time.hpp"

namespace mailprobe::probes {
namespace {

StatusFilter status(const char* text) {
  auto parsed = parse_status_filter(text);
  if (auto* error = std::get_if<std::string>(&parsed)) ADD_FAILURE() << *error;
  return std::get<StatusFilter>(parsed);
}

TEST(MailstoreStatus, EveryStatusMatchesOnlyItself) {
  for (auto name : worker_statuses()) {
    auto filter = status(std::string(name).c_str());
    for (auto other : worker_statuses())
      EXPECT_EQ(filter.matches(other), name == other) << name << " vs " << other;
    EXPECT_FALSE(filter.matches("somethingNew"));
  }
  EXPECT_EQ(worker_statuses().size(), 7u);
}

TEST(MailstoreStatus, HashNegatesAndHashAllIsEverything) {
  auto negated = status("#succeeded");
  EXPECT_FALSE(negated.matches("succeeded"));
  EXPECT_TRUE(negated.matches("failed"));
  EXPECT_TRUE(negated.matches("completedWithErrors"));
  EXPECT_TRUE(negated.matches("somethingNew"));
  EXPECT_EQ(negated.describe(), "not succeeded");
  for (const char* all : {"#all", "all", "#ALL"}) {
    auto every = status(all);
    for (auto name : worker_statuses())
      EXPECT_TRUE(every.matches(name)) << all;
    EXPECT_TRUE(every.matches("somethingNew"));
    EXPECT_EQ(every.describe(), "any status");
  }
}

TEST(MailstoreStatus, ListsAndCaseInsensitiveNames) {
  auto list = status("failed,cancelled, threadabort");
  EXPECT_TRUE(list.matches("failed"));
  EXPECT_TRUE(list.matches("cancelled"));
  EXPECT_TRUE(list.matches("threadAbort"));
  EXPECT_FALSE(list.matches("succeeded"));
  EXPECT_EQ(list.describe(), "failed, cancelled or threadAbort");
  auto not_list = status("#succeeded,completedWithWarnings");
  EXPECT_FALSE(not_list.matches("completedWithWarnings"));
  EXPECT_TRUE(not_list.matches("completedWithErrors"));
  EXPECT_EQ(status("COMPLETEDWITHERRORS").statuses.front(), "completedWithErrors");
}

TEST(MailstoreStatus, UnknownStatusNamesTheKnownOnes) {
  auto parsed = parse_status_filter("sucess");
  ASSERT_TRUE(std::holds_alternative<std::string>(parsed));
  EXPECT_EQ(std::get<std::string>(parsed),
            "--status 'sucess': 'sucess' is not one of succeeded, failed, cancelled, "
            "disconnected, threadAbort, completedWithWarnings, completedWithErrors (# negates, "
            "#all is every status)");
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_status_filter("")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_status_filter("#")));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_status_filter("failed,")));
}

TEST(MailstoreJobFilter, ProfileByIdOrNameMachineAndUser) {
  protocol::mailstore::WorkerResult job;
  job.result = "succeeded";
  job.profile_id = 7;
  job.profile_name = "MailStore Proxy";
  job.machine_name = "VMTECHMSS";
  job.user_name = "admin";
  JobFilter filter;
  filter.status = status("succeeded");
  EXPECT_TRUE(filter.matches(job));
  set_profile(filter, "7");
  EXPECT_TRUE(filter.matches(job));
  set_profile(filter, "8");
  EXPECT_FALSE(filter.matches(job));
  set_profile(filter, "MailStore Proxy");
  EXPECT_TRUE(filter.matches(job));
  EXPECT_FALSE(filter.profile_id);
  set_profile(filter, "Other");
  EXPECT_FALSE(filter.matches(job));
  set_profile(filter, "7");
  filter.machine_name = "vmtechmss";
  EXPECT_TRUE(filter.matches(job));
  filter.machine_name = "EXCH01";
  EXPECT_FALSE(filter.matches(job));
  filter.machine_name.clear();
  filter.user_name = "ADMIN";
  EXPECT_TRUE(filter.matches(job));
  filter.user_name = "jdoe";
  EXPECT_FALSE(filter.matches(job));
  EXPECT_EQ(filter.describe(), " of profile 7 of user jdoe");
}

TEST(MailstoreCompare, EachOperatorAndItsPerfdataRange) {
  struct Case {
    const char* name;
    Compare op;
    bool below, equal, above;  // 19, 20, 21 against 20
    const char* range;
  } cases[] = {{"lt", Compare::lt, true, false, false, "20:"},
               {"le", Compare::le, true, true, false, "@~:20"},
               {"eq", Compare::eq, false, true, false, "@20:20"},
               {"ge", Compare::ge, false, true, true, "@20:"},
               {"gt", Compare::gt, false, false, true, "~:20"}};
  for (const auto& c : cases) {
    ASSERT_EQ(parse_compare(c.name), c.op);
    EXPECT_EQ(compare_name(c.op), c.name);
    EXPECT_EQ(compare(19, c.op, 20), c.below) << c.name;
    EXPECT_EQ(compare(20, c.op, 20), c.equal) << c.name;
    EXPECT_EQ(compare(21, c.op, 20), c.above) << c.name;
    auto range = compare_range(c.op, 20);
    EXPECT_EQ(range.text(), c.range);
    // The perfdata range alerts exactly when the comparison raises the state.
    for (double v : {-1.0, 0.0, 19.0, 19.5, 20.0, 20.5, 21.0, 1000.0})
      EXPECT_EQ(range.alerts(v), compare(v, c.op, 20)) << c.name << " " << v;
  }
  EXPECT_FALSE(parse_compare("lte"));
  EXPECT_FALSE(parse_compare("LT"));
}

TEST(MailstoreCompare, CriticalBeforeWarningAsTheSeedsExamplesSay) {
  // -c 20 -w 22 --compare lt: critical below 20, warning below 22.
  CompareThresholds fewer{Compare::lt, 22.0, 20.0};
  EXPECT_EQ(fewer.evaluate(19), core::State::critical);
  EXPECT_EQ(fewer.evaluate(20), core::State::warning);
  EXPECT_EQ(fewer.evaluate(21), core::State::warning);
  EXPECT_EQ(fewer.evaluate(22), core::State::ok);
  // -c 5 -w 2 --compare gt: critical above 5, warning above 2.
  CompareThresholds more{Compare::gt, 2.0, 5.0};
  EXPECT_EQ(more.evaluate(2), core::State::ok);
  EXPECT_EQ(more.evaluate(3), core::State::warning);
  EXPECT_EQ(more.evaluate(6), core::State::critical);
  // -c 5 -w 20 (default le).
  CompareThresholds emails{Compare::le, 20.0, 5.0};
  EXPECT_EQ(emails.evaluate(5), core::State::critical);
  EXPECT_EQ(emails.evaluate(20), core::State::warning);
  EXPECT_EQ(emails.evaluate(21), core::State::ok);
  EXPECT_EQ(CompareThresholds{}.evaluate(0), core::State::ok);
}

std::chrono::system_clock::time_point utc(const char* text) {
  return core::parse_civil_time(text)->as_utc();
}

Window window(const char* period, const char* zone, const char* now) {
  auto since = std::get<core::Since>(core::parse_since(period));
  auto computed = since_window(since, zone, utc(now));
  EXPECT_TRUE(computed) << computed.failure().message;
  return *computed;
}

TEST(MailstoreWindow, LocalIsSentAsUtc) {
  auto w = window("since:1d", "$Local", "2026-04-03T12:00:00");
  EXPECT_EQ(w.zone, "UTC");
  EXPECT_EQ(w.from, "2026-04-02T12:00:00");
  EXPECT_EQ(w.to, "2026-04-03T12:00:01");
  EXPECT_EQ(w.described, "in the last 1 day (2026-04-02T12:00:00 to 2026-04-03T12:00:01 UTC)");
  EXPECT_EQ(window("since:1H", "$local", "2026-04-03T12:00:00").zone, "UTC");
  EXPECT_EQ(window("since:1H", "UTC", "2026-04-03T12:00:00").from, "2026-04-03T11:00:00");
}

TEST(MailstoreWindow, NamedZonesAcrossDaylightSavingTime) {
  // Europe/Berlin changes to CEST at 01:00 UTC on 2026-03-29.
  auto day = window("since:1d", "W. Europe Standard Time", "2026-03-29T12:00:00");
  EXPECT_EQ(day.zone, "W. Europe Standard Time");
  EXPECT_EQ(day.to, "2026-03-29T14:00:01");
  EXPECT_EQ(day.from, "2026-03-28T14:00:00");  // a calendar day: 23 real hours
  auto hours = window("since:24H", "W. Europe Standard Time", "2026-03-29T12:00:00");
  EXPECT_EQ(hours.from, "2026-03-28T13:00:00");  // 24 real hours
  auto minutes = window("since:90M", "Tokyo Standard Time", "2026-03-29T12:00:00");
  EXPECT_EQ(minutes.from, "2026-03-29T19:30:00");
  EXPECT_EQ(minutes.to, "2026-03-29T21:00:01");
  auto month = window("since:1m", "Pacific Standard Time", "2026-03-31T12:00:00");
  EXPECT_EQ(month.from, "2026-02-28T05:00:00");
  EXPECT_EQ(month.to, "2026-03-31T05:00:01");
  auto year = window("since:1Y", "Europe/Berlin", "2024-02-29T12:00:00");
  EXPECT_EQ(year.from, "2023-02-28T13:00:00");
  auto seconds = window("since:30S", "India Standard Time", "2026-01-01T00:00:00");
  EXPECT_EQ(seconds.from, "2026-01-01T05:29:30");
  EXPECT_EQ(seconds.to, "2026-01-01T05:30:01");
}

TEST(MailstoreWindow, UnknownZonesAndBadPeriodsFailAsOptions) {
  auto since = std::get<core::Since>(core::parse_since("since:1d"));
  auto unknown = since_window(since, "Mars Standard Time", utc("2026-01-01T00:00:00"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.failure().kind, core::FailureKind::config);
  EXPECT_NE(unknown.failure().message.find("'Mars Standard Time' is not a Windows time zone id"),
            std::string::npos);
  auto ok = absolute_window("2013-01-01T00:00:00", "2013-02-28T23:59:59", "$Local");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->zone, "$Local");
  EXPECT_FALSE(absolute_window("2013-01-01T00:00:00", "", "$Local"));
  EXPECT_FALSE(absolute_window("2013-01-01T00:00:00", "2013-01-01T00:00:00", "$Local"));
  EXPECT_FALSE(absolute_window("2013-02-01T00:00:00", "2013-01-01T00:00:00", "$Local"));
  EXPECT_FALSE(absolute_window("yesterday", "2013-01-01T00:00:00", "$Local"));
}

TEST(MailstoreWindow, EveryMappedZoneIsInTheTzDatabaseAndAgreesWithIt) {
  auto since = std::get<core::Since>(core::parse_since("since:90M"));
  // Summer and winter in both hemispheres.
  for (const char* now : {"2026-01-15T12:00:00", "2026-07-15T12:00:00"}) {
    for (auto id : core::windows_zone_ids()) {
      auto iana = core::windows_zone_to_iana(id);
      ASSERT_TRUE(iana);
      const date::time_zone* zone = nullptr;
      EXPECT_NO_THROW(zone = date::locate_zone(std::string(*iana))) << id << " -> " << *iana;
      auto computed = since_window(since, std::string(id), utc(now));
      if (*iana == "America/Nuuk") {
        // Its rules switch at -1:00 local time, which date/ptz.h does not take.
        ASSERT_FALSE(computed);
        EXPECT_NE(computed.failure().message.find("give --start/--end instead"), std::string::npos);
        continue;
      }
      ASSERT_TRUE(computed) << id << ": " << computed.failure().message;
      // The current rules (the zone file's TZ string) agree with the whole database.
      auto local = zone->to_local(std::chrono::floor<std::chrono::seconds>(utc(now)));
      auto expected = core::format_civil_time(core::CivilTime::from_utc(
          std::chrono::sys_seconds{local.time_since_epoch()} + std::chrono::seconds(1)));
      EXPECT_EQ(computed->to, expected) << id;
    }
  }
}

TEST(MailstoreLicense, FreeLicencesAndPercentUsed) {
  auto judge = [](long long users, long long licensed, const char* w, const char* c) {
    MailstoreLicenseOptions options;
    if (*w != '\0') options.warning = parse_license_threshold(w);
    if (*c != '\0') options.critical = parse_license_threshold(c);
    core::ProbeResult result;
    judge_licenses(users, licensed, options, result);
    return result;
  };
  auto ok = judge(90, 100, "5", "1");
  EXPECT_EQ(ok.state, core::State::ok);
  EXPECT_EQ(ok.summary, "90 of 100 licensed users, 10 free");
  auto warn = judge(97, 100, "5", "1");
  EXPECT_EQ(warn.state, core::State::warning);
  EXPECT_EQ(warn.summary, "97 of 100 licensed users, 3 free: fewer than 5 free (-w)");
  EXPECT_EQ(judge(95, 100, "5", "1").state, core::State::ok);
  EXPECT_EQ(judge(100, 100, "5", "1").state, core::State::critical);
  auto over = judge(103, 100, "", "");
  EXPECT_EQ(over.state, core::State::critical);
  EXPECT_EQ(over.summary, "103 of 100 licensed users, 0 free: 3 more users than licences");
  EXPECT_EQ(judge(100, 100, "", "").state, core::State::ok);
  auto percent = judge(97, 100, "90%", "98%");
  EXPECT_EQ(percent.state, core::State::warning);
  EXPECT_EQ(percent.summary, "97 of 100 licensed users, 3 free: 97% used, more than 90% (-w)");
  EXPECT_EQ(judge(99, 100, "90%", "98%").state, core::State::critical);
  ASSERT_EQ(percent.metrics.size(), 3u);
  EXPECT_EQ(percent.metrics[2].name, "used");
  EXPECT_EQ(percent.metrics[2].warning->text(), "90");
  EXPECT_EQ(warn.metrics[2].name, "free");
  EXPECT_EQ(warn.metrics[2].warning->text(), "5:");
  EXPECT_EQ(warn.metrics[2].critical->text(), "1:");
  EXPECT_FALSE(parse_license_threshold("five"));
  EXPECT_FALSE(parse_license_threshold("101%"));
  EXPECT_FALSE(parse_license_threshold("-1"));
}

}  // namespace
}  // namespace mailprobe::probes
