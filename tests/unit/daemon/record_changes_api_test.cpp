// GET /api/v1/checks/NAME/record-changes: the record history of a check_mail_domain check,
// read from the file the check keeps it in (the history database itself in the daemon).

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "daemon/api.hpp"
#include "daemon/config.hpp"
#include "daemon/metrics.hpp"
#include "probes/record_watch.hpp"

namespace mailprobe::daemon {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::int64_t t0 = 1'795'348'800'000;  // 2026-11-22T12:00:00Z
// A DKIM key as long as a real 2048-bit one.
std::string dkim_key() {
  return "v=DKIM1; k=rsa; p=" + std::string(392, 'A') + "IDAQAB";
}

class RecordChangesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // The daemon's own tables in the same file, as in the daemon: both live side by side.
    auto history = History::open(database(), 86'400'000);
    ASSERT_TRUE(history) << history.failure().message;
    history_ = std::move(*history);
  }
  void TearDown() override {
    history_.reset();
    fs::remove_all(dir_);
  }
  std::string database() const { return (dir_ / "history.sqlite").string(); }

  // Three runs of check_mail_domain for example.org: a DKIM key appears, DMARC tightens,
  // the MX goes away. Another domain in the same file changes too.
  void watch_example_org(const std::string& path) {
    std::vector<probes::WatchedRecord> first{{"TXT _dmarc.example.org", "v=DMARC1; p=none"},
                                             {"TXT s1._domainkey.example.org", ""},
                                             {"MX example.org", "10 mx.example.org"}};
    watch(path, "example.org", first, t0);
    auto second = first;
    second[1].value = dkim_key();
    watch(path, "example.org", second, t0 + 60'000);
    auto third = second;
    third[0].value = "v=DMARC1; p=reject";
    third[2].value = "";
    watch(path, "example.org", third, t0 + 120'000);
    watch(path, "other.example", {{"TXT other.example", "v=spf1 -all"}}, t0);
    watch(path, "other.example", {{"TXT other.example", "v=spf1 mx -all"}}, t0 + 180'000);
  }
  static void watch(const std::string& path, const std::string& domain,
                    const std::vector<probes::WatchedRecord>& records, std::int64_t now_ms) {
    auto watched = probes::watch_records(path, domain, records, now_ms, 86'400'000);
    ASSERT_TRUE(watched) << watched.failure().message;
  }

  // Never run: its io_context stays idle, so the checks never run (they only sit there
  // for the API to find).
  void add_check(const std::string& name, const std::string& plugin, std::vector<std::string> args,
                 std::vector<std::string> servers) {
    CheckConfig check;
    check.name = name;
    check.plugin = plugin;
    check.args = std::move(args);
    check.interval = 1h;
    check.call.servers = std::move(servers);
    configs_.push_back(std::move(check));
    scheduler_.apply(configs_);
  }
  void add_domain_check() {
    add_check("domain example.org", "check_mail_domain", {"example.org"}, {"example.org"});
  }

  HttpResponse get(const std::string& target) {
    HttpRequest request{http::verb::get, target, 11};
    boost::asio::io_context requests;
    auto future = boost::asio::co_spawn(requests, api_.handle(request), boost::asio::use_future);
    requests.run();
    return future.get();
  }
  static json::object body_of(const HttpResponse& response) {
    EXPECT_EQ(response.result(), http::status::ok) << response.body();
    EXPECT_EQ(response[http::field::content_type], "application/json");
    boost::system::error_code ec;
    auto parsed = json::parse(response.body(), ec);
    EXPECT_FALSE(ec) << response.body();
    return !ec && parsed.is_object() ? parsed.as_object() : json::object{};
  }

  // Set before api_, which is given database().
  fs::path dir_ = fs::temp_directory_path() /
                  ("mailprobe-record-changes-test-" + std::to_string(::getpid()) + "-" +
                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  std::unique_ptr<History> history_;
  std::vector<CheckConfig> configs_;
  boost::asio::io_context io_;  // the scheduler's: never run
  ConcurrencyLimit limit_{io_.get_executor(), 4};
  Scheduler scheduler_{io_.get_executor(), nullptr, limit_};
  ProbeEndpoint probe_{limit_};
  Metrics metrics_;
  Notifier notifier_{io_.get_executor(), nullptr};
  Api api_{scheduler_, nullptr, metrics_, notifier_, probe_, "lab-1", {}, database()};
};

TEST_F(RecordChangesApiTest, ListsTheDomainsChangesNewestFirst) {
  watch_example_org(database());
  add_domain_check();
  auto body = body_of(get("/api/v1/checks/domain%20example.org/record-changes"));
  EXPECT_EQ(body["check"], "domain example.org");
  EXPECT_EQ(body["domain"], "example.org");
  const auto& changes = body["changes"].as_array();
  ASSERT_EQ(changes.size(), 3U) << json::serialize(body);  // not other.example's
  // The third run changed two records at once: the one recorded last comes first.
  EXPECT_EQ(changes[0], (json::object{{"time", "2026-11-22T12:02:00.000Z"},
                                      {"record", "MX example.org"},
                                      {"old", "10 mx.example.org"},
                                      {"new", nullptr}}));
  EXPECT_EQ(changes[1], (json::object{{"time", "2026-11-22T12:02:00.000Z"},
                                      {"record", "TXT _dmarc.example.org"},
                                      {"old", "v=DMARC1; p=none"},
                                      {"new", "v=DMARC1; p=reject"}}));
  // A record that was absent is null, and a long value comes whole.
  EXPECT_EQ(changes[2], (json::object{{"time", "2026-11-22T12:01:00.000Z"},
                                      {"record", "TXT s1._domainkey.example.org"},
                                      {"old", nullptr},
                                      {"new", dkim_key()}}));
}

TEST_F(RecordChangesApiTest, LimitKeepsTheNewest) {
  watch_example_org(database());
  add_domain_check();
  auto body = body_of(get("/api/v1/checks/domain%20example.org/record-changes?limit=1"));
  ASSERT_EQ(body["changes"].as_array().size(), 1U);
  EXPECT_EQ(body["changes"].as_array()[0].as_object().at("record"), "MX example.org");
  EXPECT_EQ(body_of(get("/api/v1/checks/domain%20example.org/record-changes?limit=1000"))["changes"]
                .as_array()
                .size(),
            3U);
}

TEST_F(RecordChangesApiTest, ADomainThatNeverChangedHasAnEmptyList) {
  add_domain_check();
  // The file exists (the daemon's) but the check never ran: no record tables yet.
  auto body = body_of(get("/api/v1/checks/domain%20example.org/record-changes"));
  EXPECT_EQ(body["domain"], "example.org");
  EXPECT_EQ(body["changes"], json::array{});
  // Runs without a change leave it empty.
  watch(database(), "example.org", {{"MX example.org", "10 mx.example.org"}}, t0);
  watch(database(), "example.org", {{"MX example.org", "10 mx.example.org"}}, t0 + 60'000);
  EXPECT_EQ(body_of(get("/api/v1/checks/domain%20example.org/record-changes"))["changes"],
            json::array{});
}

TEST_F(RecordChangesApiTest, ReadsTheStateFileTheCheckNames) {
  auto own = (dir_ / "own.sqlite").string();
  watch_example_org(own);
  add_check("own", "check_mail_domain", {"example.org", "--state-file", own}, {"example.org"});
  add_check("own-eq", "check_mail_domain", {"--state-file=" + own, "example.org"}, {"example.org"});
  add_check("default", "check_mail_domain", {"example.org"}, {"example.org"});
  EXPECT_EQ(body_of(get("/api/v1/checks/own/record-changes"))["changes"].as_array().size(), 3U);
  EXPECT_EQ(body_of(get("/api/v1/checks/own-eq/record-changes"))["changes"].as_array().size(), 3U);
  // The database has none of them.
  EXPECT_EQ(body_of(get("/api/v1/checks/default/record-changes"))["changes"], json::array{});
}

TEST(RecordStateFile, TheCheckArgumentsWinOverTheDatabase) {
  EXPECT_EQ(record_state_file({"example.org"}, "/db"), "/db");
  EXPECT_EQ(record_state_file({"example.org", "--state-file", "/own"}, "/db"), "/own");
  EXPECT_EQ(record_state_file({"--state-file=/own", "example.org"}, "/db"), "/own");
  EXPECT_EQ(record_state_file({"example.org", "--state-file"}, "/db"), "/db");  // no value
  EXPECT_EQ(record_state_file({"--state-filex=/own"}, "/db"), "/db");
}

TEST_F(RecordChangesApiTest, NamesWithSpacesAndSlashes) {
  watch_example_org(database());
  add_check("mail / example.org", "check_mail_domain", {"example.org"}, {"example.org"});
  auto body = body_of(get("/api/v1/checks/mail%20%2F%20example.org/record-changes"));
  EXPECT_EQ(body["check"], "mail / example.org");
  EXPECT_EQ(body["changes"].as_array().size(), 3U);
}

TEST_F(RecordChangesApiTest, BadRequestsAreRefusedClearly) {
  add_domain_check();
  add_check("smtp", "check_smtp", {"-H", "mail.example.org"}, {"mail.example.org"});
  auto absent = get("/api/v1/checks/absent/record-changes");
  EXPECT_EQ(absent.result(), http::status::not_found);
  EXPECT_EQ(absent.body(), "no check 'absent'\n");
  // Another plugin watches no records: 404, not a list that would claim nothing changed.
  auto smtp = get("/api/v1/checks/smtp/record-changes");
  EXPECT_EQ(smtp.result(), http::status::not_found);
  EXPECT_EQ(smtp.body(),
            "check 'smtp' is a check_smtp check: only check_mail_domain checks watch DNS "
            "records\n");
  for (const char* query : {"?limit=x", "?limit=0", "?limit=1001", "?limit", "?limit=-1"}) {
    auto response = get(std::string("/api/v1/checks/domain%20example.org/record-changes") + query);
    EXPECT_EQ(response.result(), http::status::bad_request) << query;
    EXPECT_EQ(response.body(), "limit: use a whole number from 1 to 1000\n") << query;
  }
  auto misspelt = get("/api/v1/checks/domain%20example.org/record-changes?limt=5");
  EXPECT_EQ(misspelt.result(), http::status::bad_request);
  EXPECT_EQ(misspelt.body(), "limt: unknown parameter (known: limit)\n");
  // The results of a domain check are where they were.
  EXPECT_EQ(get("/api/v1/checks/domain%20example.org/results").result(), http::status::ok);
}

TEST_F(RecordChangesApiTest, AnUnreadableStateFileIsAServerErrorThatNamesIt) {
  auto broken = (dir_ / "broken.sqlite").string();
  std::ofstream(broken) << "this is not an SQLite file, but it is long enough to be read as "
                           "one and rejected: "
                        << std::string(200, 'x') << "\n";
  add_check("broken", "check_mail_domain", {"example.org", "--state-file", broken},
            {"example.org"});
  auto response = get("/api/v1/checks/broken/record-changes");
  EXPECT_EQ(response.result(), http::status::internal_server_error);
  EXPECT_EQ(response.body().rfind("record changes of check 'broken': ", 0), 0U) << response.body();
  EXPECT_NE(response.body().find(broken), std::string::npos) << response.body();
}

// As the daemon has it: the configuration loader gives the check the history database as
// its --state-file and the plugin names the domain in A-labels, the key of its rows.
TEST_F(RecordChangesApiTest, AConfiguredCheckReadsTheHistoryDatabaseByItsALabelDomain) {
  auto suffixes = dir_ / "suffixes.dat";
  std::ofstream(suffixes) << "example\n";
  auto config_path = dir_ / "mailprobe.yaml";
  std::ofstream(config_path) << "database: " << database() << "\n"
                             << "checks:\n"
                             << "  - name: bücher\n"
                             << "    plugin: check_mail_domain\n"
                             << "    args: [bücher.example, --public-suffix-list, "
                             << suffixes.string() << "]\n";
  auto config = load_config(config_path.string());
  ASSERT_TRUE(config) << config.failure().message;
  ASSERT_EQ(config->checks.size(), 1U);
  EXPECT_EQ(watched_domain(config->checks[0]), "xn--bcher-kva.example");
  EXPECT_EQ(record_state_file(config->checks[0].args, ""), database());
  watch(database(), "xn--bcher-kva.example", {{"TXT _dmarc.xn--bcher-kva.example", ""}}, t0);
  watch(database(), "xn--bcher-kva.example",
        {{"TXT _dmarc.xn--bcher-kva.example", "v=DMARC1; p=none"}}, t0 + 1000);
  scheduler_.apply(config->checks);
  auto body = body_of(get("/api/v1/checks/b%C3%BCcher/record-changes"));
  EXPECT_EQ(body["domain"], "xn--bcher-kva.example");
  ASSERT_EQ(body["changes"].as_array().size(), 1U);
  EXPECT_EQ(body["changes"].as_array()[0].as_object().at("new"), "v=DMARC1; p=none");
}

}  // namespace
}  // namespace mailprobe::daemon
