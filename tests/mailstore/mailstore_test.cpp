// check_mailstore as a user runs it, against the MailStore API emulator: the seed's
// examples, every option, every status, negation, each compare operator, since: in every
// unit, time zones, and the failures (bad password, wrong port, bad certificate,
// malformed JSON, an answer that never ends, a call that never finishes).

#include <chrono>
#include <regex>

#include "mailstore/mailstore_support.hpp"
#include "support/servers.hpp"

namespace mailprobe::test {
namespace {

// 2026-04-03 in UTC: 11 jobs, 5 succeeded (1020 emails), one of every other status.
const std::initializer_list<std::string> utc_day = {
    "-s", "2026-04-03T00:00:00", "-e", "2026-04-04T00:00:00", "--timezone", "UTC"};

std::vector<std::string> with(std::initializer_list<std::string> a,
                              std::initializer_list<std::string> b) {
  std::vector<std::string> all(a);
  all.insert(all.end(), b);
  return all;
}

struct CheckMailstore : MailstoreTest {
  void SetUp() override {
    MailstoreTest::SetUp();
    start();
  }
  PluginRun check_args(const std::vector<std::string>& args) {
    auto argv = command("check_mailstore", {});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_plugin(argv);
  }
  PluginRun day(std::initializer_list<std::string> extra) {
    return check_args(with(utc_day, extra));
  }
};

TEST_F(CheckMailstore, SeedCommandDefinitionSucceededJobsInTheLastHour) {
  // check_command check_mailstore!mailstoreserver!admin!sUp3rs3CcR6ET3!1H!succeeded!8!10!profiles
  auto run = run_plugin({"check_mailstore",
                         "--host",
                         "localhost",
                         "--port",
                         std::to_string(emulator->port()),
                         "--ca-file",
                         ca_file,
                         "--username",
                         "admin",
                         "--password",
                         "secret",
                         "-s",
                         "since:1H",
                         "--status",
                         "succeeded",
                         "-c",
                         "8",
                         "-w",
                         "10",
                         "--search",
                         "profiles",
                         "-p",
                         "50"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(std::regex_search(
      run.first_line(),
      std::regex(R"(^MAILSTORE CRITICAL - 3 jobs with status succeeded of profile 50 in the last )"
                 R"(1 hour \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d to \S+ UTC\), last ended \S+: 3 <= 8 )"
                 R"(\(-c, --compare le\) \| jobs=3;@~:10;@~:8;0$)")))
      << run.output;
}

TEST_F(CheckMailstore, SeedFewerThan20SucceededProfilesInADay) {
  auto run = check({"-s", "since:1d", "-c", "20", "-w", "22", "--search", "profiles",
                    "--status=succeeded", "--compare", "lt", "-p", "50"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_TRUE(contains(run.first_line(), ": 4 < 20 (-c, --compare lt) | jobs=4;22:;20:;0"))
      << run.output;
}

TEST_F(CheckMailstore, SeedMoreThan5NotSucceededProfiles) {
  auto none = check({"-s", "since:1d", "-c", "5", "-w", "2", "--search", "profiles",
                     "--status=#succeeded", "--compare", "gt"});
  EXPECT_EQ(none.exit_code, 0) << none.output;
  EXPECT_TRUE(contains(none.first_line(), "MAILSTORE OK - 0 jobs with status not succeeded"))
      << none.output;
  EXPECT_TRUE(contains(none.first_line(), "| jobs=0;~:2;~:5;0")) << none.output;
  auto six = day({"-c", "5", "-w", "2", "--status=#succeeded", "--compare", "gt"});
  EXPECT_EQ(six.exit_code, 2) << six.output;
  EXPECT_TRUE(contains(six.first_line(), "6 > 5 (-c, --compare gt)")) << six.output;
  auto warning = day({"-c", "6", "-w", "2", "--status=#succeeded", "--compare", "gt"});
  EXPECT_EQ(warning.exit_code, 1) << warning.output;
}

TEST_F(CheckMailstore, SeedFewEmailsOfAProfileByIdOrName) {
  auto by_id =
      check({"-s", "since:1d", "-c", "5", "-w", "20", "--search", "emails", "--profile", "50"});
  EXPECT_EQ(by_id.exit_code, 1) << by_id.output;
  EXPECT_TRUE(contains(by_id.first_line(),
                       "MAILSTORE WARNING - 10 emails archived by 4 jobs with status succeeded "
                       "of profile 50 in the last 1 day"))
      << by_id.output;
  EXPECT_TRUE(contains(by_id.first_line(), "| emails=10;@~:20;@~:5;0")) << by_id.output;
  auto by_name = check(
      {"-s", "since:1d", "-c", "5", "-w", "20", "--search", "emails", "--profile", "Since test"});
  EXPECT_EQ(by_name.exit_code, 1) << by_name.output;
  auto proxy = check({"-s", "since:1d", "-c", "5", "-w", "20", "--search", "emails", "--profile",
                      "MailStore Proxy"});
  EXPECT_EQ(proxy.exit_code, 2) << proxy.output;
  EXPECT_TRUE(contains(proxy.first_line(), "0 emails archived by 0 jobs")) << proxy.output;
  // An id is also passed to the server as profileID (arguments spell it with "ID").
  EXPECT_TRUE(contains(last_worker_request(), "timeZoneID=UTC")) << last_worker_request();
  check({"-s", "since:1d", "-p", "7"});
  EXPECT_TRUE(contains(last_worker_request(), "&profileID=7")) << last_worker_request();
}

TEST_F(CheckMailstore, EveryStatusCountsItsOwnJobs) {
  struct Case {
    const char* status;
    int jobs;
  } cases[] = {{"succeeded", 5},          {"failed", 1},      {"cancelled", 1},
               {"disconnected", 1},       {"threadAbort", 1}, {"completedWithWarnings", 1},
               {"completedWithErrors", 1}};
  for (const auto& c : cases) {
    auto run = day({"--status", c.status});
    EXPECT_TRUE(contains(run.first_line(), "| jobs=" + std::to_string(c.jobs) + ";;;0"))
        << c.status << ": " << run.output;
    EXPECT_TRUE(contains(run.first_line(), "with status " + std::string(c.status))) << run.output;
  }
}

TEST_F(CheckMailstore, NegationAllAndLists) {
  EXPECT_TRUE(contains(day({"--status", "#succeeded"}).first_line(), "| jobs=6;"));
  EXPECT_TRUE(contains(day({"--status", "#failed"}).first_line(), "| jobs=10;"));
  auto all = day({"--status", "#all"});
  EXPECT_TRUE(contains(all.first_line(), "11 jobs with status any status")) << all.output;
  EXPECT_TRUE(contains(day({"--status", "failed,cancelled,threadAbort"}).first_line(), "jobs=3;"));
  // The default is succeeded.
  EXPECT_TRUE(contains(day({}).first_line(), "| jobs=5;;;0"));
}

TEST_F(CheckMailstore, EachCompareOperator) {
  // 5 succeeded jobs that day.
  struct Case {
    const char* op;
    const char* critical;
    int exit_code;
  } cases[] = {{"lt", "6", 2}, {"lt", "5", 0}, {"le", "5", 2}, {"le", "4", 0}, {"eq", "5", 2},
               {"eq", "6", 0}, {"ge", "5", 2}, {"ge", "6", 0}, {"gt", "4", 2}, {"gt", "5", 0}};
  for (const auto& c : cases) {
    auto run = day({"--compare", c.op, "-c", c.critical});
    EXPECT_EQ(run.exit_code, c.exit_code) << c.op << " " << c.critical << ": " << run.output;
    auto warn = day({"--compare", c.op, "-w", c.critical});
    EXPECT_EQ(warn.exit_code, c.exit_code == 2 ? 1 : 0) << c.op << ": " << warn.output;
  }
  // Without --compare: le.
  EXPECT_EQ(day({"-c", "5"}).exit_code, 2);
  EXPECT_EQ(day({"-c", "4"}).exit_code, 0);
}

TEST_F(CheckMailstore, SinceInEveryUnit) {
  // Profile 50 has one job more in each longer period (the data file's relative times).
  struct Case {
    const char* since;
    int jobs;
  } cases[] = {{"since:30S", 1}, {"since:1M", 2}, {"since:1H", 3}, {"since:1d", 4},
               {"since:1m", 5},  {"since:1Y", 6}, {"since:2Y", 7}, {"since: 90M", 3}};
  for (const auto& c : cases) {
    auto run = check({"-s", c.since, "-p", "50"});
    EXPECT_TRUE(contains(run.first_line(), "| jobs=" + std::to_string(c.jobs) + ";;;0"))
        << c.since << ": " << run.output;
    EXPECT_EQ(run.exit_code, 0);
  }
}

TEST_F(CheckMailstore, SinceIsComputedInTheNamedZone) {
  auto run =
      check({"-s", "since:1H", "-p", "50", "--timezone", "W. Europe Standard Time", "--DEBUG"});
  EXPECT_TRUE(contains(run.first_line(), "| jobs=3;;;0")) << run.output;
  EXPECT_TRUE(contains(run.first_line(), " W. Europe Standard Time), last ended")) << run.output;
  EXPECT_TRUE(contains(last_worker_request(), "timeZoneID=W.%20Europe%20Standard%20Time"));
  // Every unit, in a zone far from UTC.
  for (const char* since : {"since:30S", "since:1M", "since:1d", "since:1m", "since:1Y"}) {
    auto far = check({"-s", since, "-p", "50", "--timezone", "Tonga Standard Time"});
    auto utc = check({"-s", since, "-p", "50"});
    auto count = [](const std::string& line) { return line.substr(line.find("| jobs=")); };
    EXPECT_EQ(count(far.first_line()), count(utc.first_line())) << since << "\n" << far.output;
  }
}

TEST_F(CheckMailstore, AbsolutePeriodsAreInTheServersZoneByDefault) {
  // $Local of the emulator is W. Europe Standard Time: 2026-04-03 there is
  // 2026-04-02T22:00Z to 2026-04-03T22:00Z, which leaves out job 419911 (succeeded
  // 22:00 UTC) and takes in job 419912 (failed 23:00 UTC the day before).
  auto local = check({"-s", "2026-04-03T00:00:00", "-e", "2026-04-04T00:00:00"});
  EXPECT_TRUE(contains(local.first_line(), "| jobs=4;;;0")) << local.output;
  EXPECT_TRUE(contains(last_worker_request(), "timeZoneID=%24Local")) << last_worker_request();
  EXPECT_TRUE(contains(day({}).first_line(), "| jobs=5;;;0"));
  auto failed_local =
      check({"-s", "2026-04-03T00:00:00", "-e", "2026-04-04T00:00:00", "--status", "failed"});
  EXPECT_TRUE(contains(failed_local.first_line(), "| jobs=2;;;0")) << failed_local.output;
  // Tokyo (UTC+9): the day is 2026-04-02T15:00Z to 2026-04-03T15:00Z; times come back in
  // Tokyo time.
  auto tokyo = check({"-s", "2026-04-03T00:00:00", "-e", "2026-04-04T00:00:00", "--timezone",
                      "Tokyo Standard Time", "--DEBUG", "--status", "#all"});
  EXPECT_TRUE(contains(tokyo.first_line(), "| jobs=8;;;0")) << tokyo.output;
  EXPECT_TRUE(contains(tokyo.output,
                       "job 419901: succeeded, profile 33 'Microsoft 365 Mailboxes', "
                       "user admin, machine VMTECHMSS, started 2026-04-03T10:00:00, "
                       "ended 2026-04-03T10:10:00, 120 emails archived"))
      << tokyo.output;
}

TEST_F(CheckMailstore, AnUnknownZoneIsUnknownEitherHere) {
  auto since = check({"-s", "since:1d", "--timezone", "Mars Standard Time"});
  EXPECT_EQ(since.exit_code, 3) << since.output;
  EXPECT_TRUE(contains(since.first_line(),
                       "MAILSTORE UNKNOWN - --timezone 'Mars Standard Time' is not a Windows "
                       "time zone id"))
      << since.output;
  // ... or at the server, which knows its zones.
  auto server = check({"-s", "2026-04-03T00:00:00", "-e", "2026-04-04T00:00:00", "--timezone",
                       "Mars Standard Time"});
  EXPECT_EQ(server.exit_code, 3) << server.output;
  EXPECT_EQ(server.first_line(),
            "MAILSTORE UNKNOWN - GetWorkerResults failed: The time zone ID 'Mars Standard Time' "
            "was not found on the local computer. (System.TimeZoneNotFoundException)")
      << server.output;
}

TEST_F(CheckMailstore, MachineUserAndProfileFilters) {
  EXPECT_TRUE(contains(day({"--status", "#all", "-m", "EXCH01"}).first_line(), "| jobs=3;"));
  EXPECT_TRUE(
      contains(day({"--status", "#all", "--machinename", "exch01"}).first_line(), "| jobs=3;"));
  auto user = day({"--status", "#all", "--filteruser", "jdoe"});
  EXPECT_TRUE(contains(user.first_line(), "| jobs=3;")) << user.output;
  EXPECT_TRUE(contains(user.first_line(), "of user jdoe")) << user.output;
  EXPECT_TRUE(contains(last_worker_request(), "&userName=jdoe")) << last_worker_request();
  EXPECT_TRUE(contains(day({"--status", "#all", "-p", "33"}).first_line(), "| jobs=4;"));
  EXPECT_TRUE(contains(day({"--status", "#all", "-p", "Outlook jdoe"}).first_line(), "| jobs=3;"));
  EXPECT_TRUE(
      contains(day({"--status", "#all", "-p", "33", "-m", "EXCH01"}).first_line(), "| jobs=0;"));
}

TEST_F(CheckMailstore, SearchJobsProfilesOrEmails) {
  EXPECT_TRUE(contains(day({"--search", "jobs"}).first_line(), "| jobs=5;"));
  EXPECT_TRUE(contains(day({"--search", "profiles"}).first_line(), "| jobs=5;"));
  auto emails = day({"--search", "emails", "-w", "2000", "-c", "1000"});
  EXPECT_EQ(emails.exit_code, 1) << emails.output;
  EXPECT_TRUE(contains(emails.first_line(), "1020 emails archived by 5 jobs")) << emails.output;
  EXPECT_TRUE(contains(emails.first_line(), "| emails=1020;@~:2000;@~:1000;0")) << emails.output;
}

TEST_F(CheckMailstore, DebugListsTheMatchingJobsInOrder) {
  auto run = day({"--DEBUG"});
  EXPECT_TRUE(contains(run.output, "\nGetWorkerResults returned 11 jobs, 5 matching:\n"))
      << run.output;
  auto first = run.output.find("job 419901:");
  auto second = run.output.find("job 419902:");
  auto last = run.output.find("job 419911:");
  ASSERT_NE(first, std::string::npos) << run.output;
  EXPECT_LT(first, second);
  EXPECT_LT(second, last);
  EXPECT_FALSE(contains(run.output, "job 419903:"));  // failed
  EXPECT_TRUE(contains(run.first_line(), "last ended 2026-04-03T22:00:00")) << run.output;
}

TEST_F(CheckMailstore, BadOptionsAreUnknownWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    const char* message;
  } cases[] = {
      {{"-s", "since:1d", "--status", "sucess"}, "--status 'sucess': 'sucess' is not one of"},
      {{"-s", "since:1w"}, "--start 'since:1w': unit 'w' is not one of Y (years)"},
      {{"-s", "since:xd"}, "is not a positive whole number"},
      {{"-s", "2026-04-04T00:00:00", "-e", "2026-04-03T00:00:00"},
       "--end 2026-04-03T00:00:00 is not after --start 2026-04-04T00:00:00"},
      {{"-s", "2026-04-03T00:00:00"}, "--end is required with an absolute --start"},
      {{"-s", "2026-04-31T00:00:00", "-e", "2026-05-01T00:00:00"}, "is neither YYYY-mm-ddTHH"},
      {{"-s", "since:1d", "-e", "2026-04-03T00:00:00"}, "--end cannot be combined"},
      {{}, "--start is required"},
      {{"-s", "since:1d", "--compare", "lte"}, "--compare 'lte': use lt, le, eq, ge or gt"},
      {{"-s", "since:1d", "--search", "mails"}, "--search 'mails': use profiles, jobs or emails"},
      {{"-s", "since:1d", "-w", "many"}, "-w 'many' is not a number"},
      {{"-s", "since:1d", "--insecure"}, "give only one of --ca-file, --fingerprint, --insecure"},
      {{"-s", "since:1d", "--port", "0"}, "--port: '0' is out of range (from 1 to 65535)"},
      {{"-s", "since:1d", "--bogus"}, "unknown option --bogus"},
      {{"-s", "since:1d", "-H", "127.0.0.1", "-6"}, "address 127.0.0.1 is not IPv6 (-6 given)"},
  };
  for (const auto& c : cases) {
    auto run = check_args(c.args);
    EXPECT_EQ(run.exit_code, 3) << run.output;
    EXPECT_TRUE(contains(run.first_line(), "MAILSTORE UNKNOWN - ")) << run.output;
    EXPECT_TRUE(contains(run.first_line(), c.message)) << c.message << "\n" << run.output;
  }
  auto no_password =
      run_plugin({"check_mailstore", "--port", std::to_string(emulator->port()), "-s", "since:1d"});
  EXPECT_EQ(no_password.exit_code, 3);
  EXPECT_TRUE(contains(no_password.first_line(), "no password for 'admin'")) << no_password.output;
  auto fingerprint = run_plugin(
      {"check_mailstore", "--password", "x", "-s", "since:1d", "--fingerprint", "SHA256:12:34"});
  EXPECT_TRUE(contains(fingerprint.first_line(), "is not a SHA-256 fingerprint"))
      << fingerprint.output;
  // Bad options never reach the server.
  EXPECT_TRUE(emulator->requests().empty());
  auto ipv4 = check_args({"-s", "since:1d", "-H", "127.0.0.1", "-4"});
  EXPECT_EQ(ipv4.exit_code, 0) << ipv4.output;
}

TEST_F(CheckMailstore, SeedLongOptionSpellings) {
  auto run = run_plugin({"check_mailstore",
                         "--host",
                         "127.0.0.1",
                         "--port",
                         std::to_string(emulator->port()),
                         "--ca-file",
                         ca_file,
                         "--userName",
                         "admin",
                         "--pass",
                         "secret",
                         "--start",
                         "2026-04-03T00:00:00",
                         "--end",
                         "2026-04-04T00:00:00",
                         "--timezone",
                         "UTC",
                         "--machinename",
                         "EXCH01",
                         "--status=#all",
                         "--warning",
                         "1",
                         "--critical",
                         "0",
                         "--compare",
                         "le"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "| jobs=3;@~:1;@~:0;0")) << run.output;
}

TEST_F(CheckMailstore, WrongPasswordIsUnknownAndSaysSo) {
  std::ofstream(password_file) << "wrong\n";
  auto run = check({"-s", "since:1d"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILSTORE UNKNOWN - login as 'admin' refused (HTTP 401 Unauthorized, Basic "
            "realm=\"MailStore Server\"): wrong user name or password, or not a MailStore "
            "administrator");
  auto user =
      run_plugin({"check_mailstore", "--port", std::to_string(emulator->port()), "--ca-file",
                  ca_file, "--user", "jdoe", "--password-env", "MS_PW", "-s", "since:1d"},
                 {{"MS_PW", "secret"}});
  EXPECT_TRUE(contains(user.first_line(), "login as 'jdoe' refused")) << user.output;
}

TEST_F(CheckMailstore, WrongPortIsUnknownSayingConnectionRefused) {
  auto port = closed_port();
  auto run = run_plugin({"check_mailstore", "--host", "127.0.0.1", "--port", std::to_string(port),
                         "--password", "x", "-s", "since:1d"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILSTORE UNKNOWN - connection refused by 127.0.0.1:" + std::to_string(port));
}

TEST_F(CheckMailstore, SelfSignedCertificateNeedsTrust) {
  auto untrusted = run_plugin({"check_mailstore", "--port", std::to_string(emulator->port()),
                               "--password-file", password_file, "-s", "since:1d"});
  EXPECT_EQ(untrusted.exit_code, 3) << untrusted.output;
  EXPECT_TRUE(contains(untrusted.first_line(), "MAILSTORE UNKNOWN - TLS certificate"))
      << untrusted.output;
  EXPECT_TRUE(contains(untrusted.first_line(), "(trust it with --ca-file or --fingerprint)"))
      << untrusted.output;
  // No request (and so no password) went to an untrusted server.
  EXPECT_TRUE(emulator->requests().empty());

  auto insecure = run_plugin({"check_mailstore", "--port", std::to_string(emulator->port()),
                              "--password-file", password_file, "-s", "since:1d", "--insecure"});
  EXPECT_EQ(insecure.exit_code, 0) << insecure.output;
  EXPECT_TRUE(contains(insecure.output,
                       "\nnote: certificate verification disabled (--insecure); verification "
                       "would fail: "))
      << insecure.output;

  auto fingerprint = pem_fingerprint(certificate.certificate);
  auto pinned = run_plugin({"check_mailstore", "--host", "127.0.0.1", "--port",
                            std::to_string(emulator->port()), "--password-file", password_file,
                            "-s", "since:1d", "--fingerprint", fingerprint});
  EXPECT_EQ(pinned.exit_code, 0) << pinned.output;
  EXPECT_FALSE(contains(pinned.output, "note:")) << pinned.output;

  auto other = pem_fingerprint(pki.self_signed("other", {"DNS:localhost"}).certificate);
  auto mismatch =
      run_plugin({"check_mailstore", "--port", std::to_string(emulator->port()), "--password-file",
                  password_file, "-s", "since:1d", "--fingerprint", other});
  EXPECT_EQ(mismatch.exit_code, 3) << mismatch.output;
  EXPECT_TRUE(contains(mismatch.first_line(),
                       "has fingerprint " + fingerprint + ", not the pinned " + other))
      << mismatch.output;
}

TEST_F(CheckMailstore, CertificateForAnotherHostIsRefused) {
  auto options = this->options();
  options.certificate = pki.issue("mailstore.example", {"DNS:mailstore.example"});
  MailstoreEmulator other(options);
  auto run = run_plugin({"check_mailstore", "--port", std::to_string(other.port()), "--ca-file",
                         pki.ca_file(), "--password-file", password_file, "-s", "since:1d"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "localhost")) << run.output;
  EXPECT_TRUE(other.requests().empty());
}

struct CheckMailstoreMisbehaving : MailstoreTest {};

TEST_F(CheckMailstoreMisbehaving, MalformedJsonIsUnknown) {
  auto o = options();
  o.malformed_json = true;
  start(o);
  auto run = check({"-s", "since:1d"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "MAILSTORE UNKNOWN - GetWorkerResults: malformed JSON ("))
      << run.output;
}

TEST_F(CheckMailstoreMisbehaving, AnAnswerThatNeverEndsTimesOut) {
  auto o = options();
  o.endless_body = true;
  start(o);
  auto began = std::chrono::steady_clock::now();
  auto run = check({"-s", "since:1d", "-t", "1.5"});
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILSTORE UNKNOWN - timeout after 1.5 s waiting for the answer to GetWorkerResults");
  EXPECT_LT(took, std::chrono::milliseconds(2500));
}

TEST_F(CheckMailstoreMisbehaving, AHugeAnswerIsRefusedAtOnce) {
  auto o = options();
  o.announce_body = 100ull * 1024 * 1024;
  start(o);
  auto run = check({"-s", "since:1d"});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILSTORE UNKNOWN - answer to GetWorkerResults is larger than 64 MiB");
}

TEST_F(CheckMailstoreMisbehaving, SlowCallsArePolledUntilTheyEnd) {
  auto o = options();
  o.slow = std::chrono::milliseconds(700);
  start(o);
  auto run =
      check({"-s", "2026-04-03T00:00:00", "-e", "2026-04-04T00:00:00", "--timezone", "UTC", "-v"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "| jobs=5;;;0")) << run.output;
  int polls = 0;
  for (const auto& request : emulator->requests()) {
    if (request.target == "/api/get-status") {
      ++polls;
      EXPECT_TRUE(contains(request.body, "token=token-1&millisecondsTimeout="));
      EXPECT_TRUE(contains(request.body, "&lastKnownStatusVersion=1")) << request.body;
    }
  }
  EXPECT_GE(polls, 1);
  // One connection for the call and its polling (keep-alive).
  EXPECT_EQ(emulator->connections(), 1);
  EXPECT_TRUE(contains(run.output, "C: POST /api/get-status token=token-1")) << run.output;
  EXPECT_FALSE(contains(run.output, "secret")) << run.output;
}

TEST_F(CheckMailstoreMisbehaving, PollingWorksWhenTheServerClosesEveryConnection) {
  auto o = options();
  o.slow = std::chrono::milliseconds(300);
  o.keep_alive = false;
  o.bom = false;
  start(o);
  auto run = check({"-s", "since:1d", "-p", "50"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "| jobs=4;;;0")) << run.output;
  EXPECT_GE(emulator->connections(), 2);
}

TEST_F(CheckMailstoreMisbehaving, ACallThatNeverEndsIsCancelledAtTheDeadline) {
  auto o = options();
  o.never_finish = true;
  start(o);
  auto began = std::chrono::steady_clock::now();
  auto run = check({"-s", "since:1d", "-t", "2"});
  auto took = std::chrono::steady_clock::now() - began;
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILSTORE UNKNOWN - timeout after 2.0 s waiting for GetWorkerResults to finish (the "
            "call was cancelled)");
  EXPECT_LT(took, std::chrono::milliseconds(2500));
  bool cancelled = false;
  for (const auto& request : emulator->requests()) {
    if (request.target == "/api/cancel-async") {
      cancelled = true;
      EXPECT_EQ(request.body, "token=token-1");
    }
  }
  EXPECT_TRUE(cancelled);
}

TEST_F(CheckMailstore, SubcommandAndJsonOutput) {
  auto argv = command("mailprobe", {"-s", "since:1d", "-p", "50", "--output-format", "json"});
  argv.insert(argv.begin() + 1, {"check", "mailstore"});
  auto run = run_plugin(argv);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "\"state\":\"OK\"")) << run.output;
  EXPECT_TRUE(contains(run.output, "\"name\":\"jobs\"")) << run.output;
}

TEST_F(CheckMailstore, TheRequestIsWhatTheApiExpects) {
  day({});
  auto requests = emulator->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/invoke/GetWorkerResults");
  EXPECT_EQ(requests[0].content_type, "application/x-www-form-urlencoded");
  EXPECT_TRUE(requests[0].authorized);
  EXPECT_EQ(requests[0].body,
            "fromIncluding=2026-04-03T00%3A00%3A00&toExcluding=2026-04-04T00%3A00%3A00&"
            "timeZoneID=UTC");
  EXPECT_EQ(requests[0].content_length, std::to_string(requests[0].body.size()));
}

}  // namespace
}  // namespace mailprobe::test
