// check_mailstore_license against the emulator: GetLicenseInformation, --licensed with
// GetUsers (or the seed's GetUserList), free-licence and percent thresholds.

#include "mailstore/mailstore_support.hpp"

namespace mailprobe::test {
namespace {

struct CheckMailstoreLicense : MailstoreTest {};

TEST_F(CheckMailstoreLicense, LicenseInformationWithFreeLicenceThresholds) {
  start();  // 97 of 100 named users
  auto run = license({"-w", "5", "-c", "1"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILSTORE LICENSE WARNING - 97 of 100 licensed users, 3 free: fewer than 5 free (-w) "
            "| users=97;;;0;100 licensed=100 free=3;5:;1:;0");
  EXPECT_EQ(license({"-w", "3", "-c", "1"}).exit_code, 0);
  EXPECT_EQ(license({"-w", "5", "-c", "4"}).exit_code, 2);
  EXPECT_EQ(license({}).exit_code, 0);
  // get-metadata, then the method; empty bodies are sent with Content-Length: 0.
  auto requests = emulator->requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_EQ(requests[0].target, "/api/get-metadata");
  EXPECT_EQ(requests[0].content_length, "0");
  EXPECT_EQ(requests[1].target, "/api/invoke/GetLicenseInformation");
  EXPECT_EQ(requests[1].content_length, "0");
}

TEST_F(CheckMailstoreLicense, PercentUsed) {
  start();
  auto run = license({"-w", "90%", "-c", "98%"});
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_EQ(run.first_line(),
            "MAILSTORE LICENSE WARNING - 97 of 100 licensed users, 3 free: 97% used, more than 90% "
            "(-w) | users=97;;;0;100 licensed=100 used=97%;90;98;0;100");
  EXPECT_EQ(license({"-w", "90%", "-c", "96%"}).exit_code, 2);
  auto mixed = license({"-w", "90%", "-c", "1"});
  EXPECT_EQ(mixed.exit_code, 3);
  EXPECT_TRUE(contains(mixed.first_line(), "both be counts or both be percentages"));
}

TEST_F(CheckMailstoreLicense, LicensedCountsUsersAsTheOriginalScript) {
  start();  // 8 users
  auto warn = license({"--licensed", "10", "-w", "5", "-c", "1", "--DEBUG"});
  EXPECT_EQ(warn.exit_code, 1) << warn.output;
  EXPECT_TRUE(contains(warn.first_line(), "8 of 10 licensed users, 2 free: fewer than 5 free"))
      << warn.output;
  EXPECT_TRUE(contains(warn.output, "\nuser: jdoe\n")) << warn.output;
  EXPECT_EQ(license({"--licensed", "8", "-w", "5", "-c", "1"}).exit_code, 2);
  EXPECT_EQ(license({"--licensed", "20", "-w", "5", "-c", "1"}).exit_code, 0);
  auto over = license({"--licensed", "6"});
  EXPECT_EQ(over.exit_code, 2) << over.output;
  EXPECT_TRUE(contains(over.first_line(), "2 more users than licences")) << over.output;
  bool asked_users = false;
  for (const auto& request : emulator->requests())
    asked_users = asked_users || request.target == "/api/invoke/GetUsers";
  EXPECT_TRUE(asked_users);
}

TEST_F(CheckMailstoreLicense, SeedsGetUserListAndOlderServers) {
  auto o = options();
  o.user_list = true;
  o.license_information = false;
  o.empty_metadata_envelope = true;
  start(o);
  auto run = license({"--licensed", "10"});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "8 of 10 licensed users")) << run.output;
  auto without = license({"-w", "5"});
  EXPECT_EQ(without.exit_code, 3) << without.output;
  EXPECT_EQ(without.first_line(),
            "MAILSTORE LICENSE UNKNOWN - the server does not offer GetLicenseInformation; give "
            "the number of licensed users with --licensed N");
}

TEST_F(CheckMailstoreLicense, FailuresAreUnknown) {
  start();
  std::ofstream(password_file) << "wrong\n";
  auto run = license({});
  EXPECT_EQ(run.exit_code, 3) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "MAILSTORE LICENSE UNKNOWN - login as 'admin' refused"))
      << run.output;
  auto bad = license({"-w", "lots"});
  EXPECT_EQ(bad.exit_code, 3);
  EXPECT_TRUE(contains(bad.first_line(), "-w 'lots': expected a number of free licences"));
  EXPECT_EQ(license({"--licensed", "0"}).exit_code, 3);
}

TEST_F(CheckMailstoreLicense, Subcommand) {
  start();
  auto argv = command("mailprobe", {"-w", "2"});
  argv.insert(argv.begin() + 1, {"check", "mailstore-license"});
  auto run = run_plugin(argv);
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_TRUE(contains(run.first_line(), "MAILSTORE LICENSE OK - 97 of 100")) << run.output;
}

}  // namespace
}  // namespace mailprobe::test
