// Civil times of the MailStore API and since:XY with calendar arithmetic.

#include "core/civil_time.hpp"

#include <gtest/gtest.h>

#include "core/windows_zones.hpp"

namespace mailprobe::core {
namespace {

CivilTime at(const char* text) {
  auto parsed = parse_civil_time(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(CivilTime{});
}

Since since(const char* text) {
  auto parsed = parse_since(text);
  if (auto* error = std::get_if<std::string>(&parsed)) ADD_FAILURE() << *error;
  return std::get<Since>(parsed);
}

std::string minus(const char* time, const char* period) {
  return format_civil_time(subtract(at(time), since(period)));
}

TEST(CivilTime, ParsesAndFormatsTheApiFormat) {
  EXPECT_EQ(format_civil_time(at("2013-01-01T00:00:00")), "2013-01-01T00:00:00");
  EXPECT_EQ(format_civil_time(at("2013-02-28 23:59:59")), "2013-02-28T23:59:59");
  EXPECT_EQ(format_civil_time(at("2024-02-29T12:30:05")), "2024-02-29T12:30:05");
}

TEST(CivilTime, RejectsWhatIsNotARealTime) {
  for (const char* bad :
       {"", "2013-01-01", "2013-01-01T00:00", "2013-01-01T00:00:00Z", "2023-02-29T00:00:00",
        "2013-13-01T00:00:00", "2013-04-31T00:00:00", "2013-01-01T24:00:00", "2013-01-01T00:60:00",
        "2013-01-01T00:00:60", "2013/01/01T00:00:00", "x013-01-01T00:00:00", "since:1d"}) {
    EXPECT_FALSE(parse_civil_time(bad)) << bad;
  }
}

TEST(CivilTime, OrdersAndConvertsToUtc) {
  EXPECT_LT(at("2013-01-01T00:00:00"), at("2013-01-01T00:00:01"));
  EXPECT_LT(at("2012-12-31T23:59:59"), at("2013-01-01T00:00:00"));
  EXPECT_EQ(at("1970-01-02T00:00:00").since_epoch().count(), 86400);
  EXPECT_EQ(CivilTime::from_utc(at("2024-02-29T23:59:59").as_utc()), at("2024-02-29T23:59:59"));
}

TEST(Since, ParsesEveryUnitOfTheSeed) {
  struct Case {
    const char* text;
    long count;
    SinceUnit unit;
  } cases[] = {{"since:2Y", 2, SinceUnit::year},     {"since:3m", 3, SinceUnit::month},
               {"since:1d", 1, SinceUnit::day},      {"since:1H", 1, SinceUnit::hour},
               {"since:90M", 90, SinceUnit::minute}, {"since:30S", 30, SinceUnit::second},
               {"since: 90M", 90, SinceUnit::minute}};
  for (const auto& c : cases) {
    auto parsed = since(c.text);
    EXPECT_EQ(parsed.count, c.count) << c.text;
    EXPECT_EQ(parsed.unit, c.unit) << c.text;
  }
  EXPECT_EQ(describe_since(since("since:90M")), "90 minutes");
  EXPECT_EQ(describe_since(since("since:1m")), "1 month");
}

TEST(Since, RejectsBadUnitsAndNumbersWithAClearMessage) {
  auto error = [](const char* text) {
    auto parsed = parse_since(text);
    return std::holds_alternative<std::string>(parsed) ? std::get<std::string>(parsed) : "";
  };
  EXPECT_NE(error("since:1w").find("unit 'w' is not one of Y (years), m (months)"),
            std::string::npos);
  EXPECT_NE(error("since:1D").find("unit 'D'"), std::string::npos);
  EXPECT_NE(error("since:d").find("expected since:XY"), std::string::npos);
  EXPECT_NE(error("since:0d").find("not a positive whole number"), std::string::npos);
  EXPECT_NE(error("since:-1d").find("not a positive whole number"), std::string::npos);
  EXPECT_NE(error("since:1.5H").find("not a positive whole number"), std::string::npos);
  EXPECT_NE(error("since:99999999Y").find("too long"), std::string::npos);
  EXPECT_NE(error("1d").find("does not start with since:"), std::string::npos);
}

TEST(Since, ExactUnitsSubtractElapsedTime) {
  EXPECT_EQ(minus("2026-03-01T00:00:10", "since:30S"), "2026-02-28T23:59:40");
  EXPECT_EQ(minus("2026-01-01T00:30:00", "since:90M"), "2025-12-31T23:00:00");
  EXPECT_EQ(minus("2024-03-01T01:00:00", "since:2H"), "2024-02-29T23:00:00");
  EXPECT_EQ(minus("2024-03-01T12:00:00", "since:1d"), "2024-02-29T12:00:00");
  EXPECT_EQ(minus("2023-03-01T12:00:00", "since:1d"), "2023-02-28T12:00:00");
  EXPECT_EQ(minus("2026-01-01T00:00:00", "since:365d"), "2025-01-01T00:00:00");
}

TEST(Since, MonthsKeepTheDayOrEndTheMonth) {
  EXPECT_EQ(minus("2026-05-15T08:00:00", "since:1m"), "2026-04-15T08:00:00");
  EXPECT_EQ(minus("2026-03-31T08:00:00", "since:1m"), "2026-02-28T08:00:00");
  EXPECT_EQ(minus("2024-03-31T08:00:00", "since:1m"), "2024-02-29T08:00:00");
  EXPECT_EQ(minus("2026-05-31T08:00:00", "since:1m"), "2026-04-30T08:00:00");
  EXPECT_EQ(minus("2026-01-31T08:00:00", "since:2m"), "2025-11-30T08:00:00");
  EXPECT_EQ(minus("2026-01-15T00:00:00", "since:13m"), "2024-12-15T00:00:00");
  EXPECT_EQ(minus("2026-03-31T23:59:59", "since:25m"), "2024-02-29T23:59:59");
}

TEST(Since, YearsKeepTheDateOrEndFebruary) {
  EXPECT_EQ(minus("2026-06-30T10:00:00", "since:1Y"), "2025-06-30T10:00:00");
  EXPECT_EQ(minus("2024-02-29T10:00:00", "since:1Y"), "2023-02-28T10:00:00");
  EXPECT_EQ(minus("2024-02-29T10:00:00", "since:4Y"), "2020-02-29T10:00:00");
  EXPECT_EQ(minus("2000-02-29T10:00:00", "since:100Y"), "1900-02-28T10:00:00");
}

TEST(WindowsZones, MapsWindowsIdsToIanaIgnoringCase) {
  EXPECT_EQ(windows_zone_to_iana("W. Europe Standard Time"), "Europe/Berlin");
  EXPECT_EQ(windows_zone_to_iana("w. europe standard time"), "Europe/Berlin");
  EXPECT_EQ(windows_zone_to_iana("UTC"), "Etc/UTC");
  EXPECT_EQ(windows_zone_to_iana("Pacific Standard Time"), "America/Los_Angeles");
  EXPECT_EQ(windows_zone_to_iana("Pacific Standard Time (Mexico)"), "America/Tijuana");
  EXPECT_EQ(windows_zone_to_iana("India Standard Time"), "Asia/Kolkata");
  EXPECT_FALSE(windows_zone_to_iana("$Local"));
  EXPECT_FALSE(windows_zone_to_iana("Europe/Berlin"));
  EXPECT_GT(windows_zone_ids().size(), 130u);
}

}  // namespace
}  // namespace mailprobe::core
