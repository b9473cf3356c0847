#include "daemon/notification.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "daemon/config.hpp"
#include "daemon/history.hpp"
#include "daemon/notifier.hpp"
#include "daemon/peers.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::daemon {
namespace {

using core::State;
using std::chrono::hours;
using std::chrono::minutes;

const auto t0 = WallClock::time_point(std::chrono::seconds(1'795'348'800));  // 2026-11-22 12:00

NotifyInput input(bool own_down, std::vector<std::string> down, int quorum = 1) {
  NotifyInput in;
  in.own_down = own_down;
  in.own_state = own_down ? State::critical : State::ok;
  in.agreement.down = std::move(down);
  in.location = "b";
  in.quorum = quorum;
  in.now = t0;
  return in;
}

TEST(Decide, StandaloneProblemOnceThenRecovery) {
  EXPECT_EQ(decide(input(true, {"b"})), EventKind::problem);
  EXPECT_EQ(decide(input(false, {})), std::nullopt);

  auto told = input(true, {"b"});
  told.notified = Notified{State::critical, t0 - minutes(5), t0 - minutes(5)};
  EXPECT_EQ(decide(told), std::nullopt) << "de-duplicated: told once";

  auto worse = told;
  worse.notified->state = State::warning;
  EXPECT_EQ(decide(worse), EventKind::problem) << "WARNING to CRITICAL is news";

  auto recovered = input(false, {});
  recovered.notified = told.notified;
  EXPECT_EQ(decide(recovered), EventKind::recovery);
}

TEST(Decide, RemindersAtTheRenotifyInterval) {
  auto told = input(true, {"b"});
  told.notified = Notified{State::critical, t0 - hours(5), t0 - hours(3)};
  told.renotify = hours(4);
  EXPECT_EQ(decide(told), std::nullopt);
  told.notified->last = t0 - hours(4);
  EXPECT_EQ(decide(told), EventKind::reminder);
  told.renotify = std::chrono::milliseconds(0);
  EXPECT_EQ(decide(told), std::nullopt) << "no renotify: never reminded";
}

TEST(Decide, QuorumOfLocations) {
  // Quorum 2: this location alone is not enough.
  EXPECT_EQ(decide(input(true, {"b"}, 2)), std::nullopt);
  // Two see it, and b is the first by name among them: b tells.
  EXPECT_EQ(decide(input(true, {"b", "c"}, 2)), EventKind::problem);
  // a sees it too: a tells, b stays quiet (one message, not one per location).
  EXPECT_EQ(decide(input(true, {"a", "b"}, 2)), std::nullopt);
  // A peer has told it already.
  auto covered = input(true, {"b", "c"}, 2);
  covered.agreement.covered_by_peer = true;
  EXPECT_EQ(decide(covered), std::nullopt);
  // Peers that see it while this location does not: this one does not tell.
  EXPECT_EQ(decide(input(false, {"c", "d"}, 2)), std::nullopt);

  // Told; the problem lasts while the quorum does, even if this location recovered.
  auto told = input(false, {"c", "d"}, 2);
  told.notified = Notified{State::critical, t0, t0};
  EXPECT_EQ(decide(told), std::nullopt);
  told.agreement.down = {"c"};
  EXPECT_EQ(decide(told), EventKind::recovery) << "fewer than the quorum see it";
}

TEST(Decide, APeerThatCannotBeAskedIsNoRecovery) {
  // b told the problem that b and c saw; c no longer answers (a network split).
  auto told = input(true, {"b"}, 2);
  told.notified = Notified{State::critical, t0, t0};
  told.agreement.unreachable = 1;
  EXPECT_EQ(decide(told), std::nullopt) << "c might see it still";
  // c answers again and sees it no more: the recovery.
  told.agreement.unreachable = 0;
  EXPECT_EQ(decide(told), EventKind::recovery);
  // An unreachable peer never counts toward a problem.
  auto fresh = input(true, {"b"}, 2);
  fresh.agreement.unreachable = 1;
  EXPECT_EQ(decide(fresh), std::nullopt);
}

Event sample_event() {
  Event event;
  event.kind = EventKind::problem;
  event.check = "imap login";
  event.plugin = "check_imap";
  event.state = State::critical;
  event.previous = State::ok;
  event.summary = "IMAP CRITICAL - connection refused\r\nInjected: header";
  event.since = t0;
  event.time = t0 + std::chrono::seconds(40);
  event.location = "lab-1";
  event.locations_down = {"lab-1", "lab-2"};
  event.quorum = 2;
  event.labels = {{"role", "imap"}, {"data-center", "fra"}};
  return event;
}

TEST(Event, TextIsOneLine) {
  EXPECT_EQ(event_text(sample_event()),
            "PROBLEM imap login CRITICAL at lab-1: IMAP CRITICAL - connection refused  "
            "Injected: header");
}

TEST(Event, Json) {
  auto value = boost::json::parse(event_json(sample_event()));
  const auto& o = value.as_object();
  EXPECT_EQ(o.at("event"), "problem");
  EXPECT_EQ(o.at("check"), "imap login");
  EXPECT_EQ(o.at("state"), "CRITICAL");
  EXPECT_EQ(o.at("previous_state"), "OK");
  EXPECT_EQ(o.at("since"), "2026-11-22T12:00:00.000Z");
  EXPECT_EQ(o.at("time"), "2026-11-22T12:00:40.000Z");
  EXPECT_EQ(o.at("location"), "lab-1");
  EXPECT_EQ(o.at("locations_down").as_array().size(), 2U);
  EXPECT_EQ(o.at("quorum"), 2);
  EXPECT_EQ(o.at("labels").at("role"), "imap");
  EXPECT_EQ(o.at("summary"), "IMAP CRITICAL - connection refused\r\nInjected: header")
      << "JSON carries the text as it is";
}

TEST(Event, Environment) {
  auto env = event_environment(sample_event());
  auto has = [&](const std::string& entry) {
    return std::find(env.begin(), env.end(), entry) != env.end();
  };
  EXPECT_TRUE(has("MAILPROBE_EVENT=problem"));
  EXPECT_TRUE(has("MAILPROBE_CHECK=imap login"));
  EXPECT_TRUE(has("MAILPROBE_STATE=CRITICAL"));
  EXPECT_TRUE(has("MAILPROBE_PREVIOUS_STATE=OK"));
  EXPECT_TRUE(has("MAILPROBE_LOCATIONS_DOWN=lab-1,lab-2"));
  EXPECT_TRUE(has("MAILPROBE_LABEL_DATA_CENTER=fra"));
  EXPECT_TRUE(has("MAILPROBE_SUMMARY=IMAP CRITICAL - connection refused  Injected: header"));
}

TEST(Event, EmailHeadersCannotBeInjected) {
  auto message = event_email(sample_event(), "mailprobe@example.net", {"a@example.com", "b@x.org"},
                             "<id@example.net>");
  auto headers = message.substr(0, message.find("\r\n\r\n") + 2);
  EXPECT_NE(headers.find("\r\nTo: a@example.com, b@x.org\r\n"), std::string::npos);
  EXPECT_NE(headers.find("\r\nSubject: [mailprobe] PROBLEM imap login CRITICAL at lab-1: "),
            std::string::npos);
  EXPECT_NE(headers.find("\r\nAuto-Submitted: auto-generated\r\n"), std::string::npos);
  EXPECT_EQ(headers.find("\r\nInjected:"), std::string::npos);
  EXPECT_EQ(message.find("\r\nInjected:"), std::string::npos);
  EXPECT_NE(message.find("\r\nSeen down at: lab-1, lab-2\r\n"), std::string::npos);
}

TEST(Event, NonAsciiSubjectIsEncoded) {
  auto event = sample_event();
  event.check = "Postfach Müller";
  auto message = event_email(event, "m@example.net", {"a@example.com"}, "<id@example.net>");
  auto headers = message.substr(0, message.find("\r\n\r\n"));
  EXPECT_NE(headers.find("Subject: =?UTF-8?B?"), std::string::npos);
  for (char c : headers)
    EXPECT_TRUE(c > 0) << "8-bit byte in a header";
}

TEST(PeerView, Parses) {
  auto view = parse_peer_view(
      R"({"location":"dc-2","checks":[{"name":"imap","hard_state":"CRITICAL","notified":true},)"
      R"({"name":"smtp","hard_state":"OK","notified":false},{"name":"new","hard_state":"PENDING"}]})");
  ASSERT_TRUE(view) << view.failure().message;
  EXPECT_EQ(view->location, "dc-2");
  EXPECT_TRUE(view->checks.at("imap").down);
  EXPECT_TRUE(view->checks.at("imap").notified);
  EXPECT_FALSE(view->checks.at("smtp").down);
  EXPECT_FALSE(view->checks.at("new").down) << "not run yet there: confirms nothing";
}

TEST(PeerView, RefusesWhatIsNotADaemon) {
  for (const char* body : {"", "<html>", "{}", R"({"location":"x","checks":{}})",
                           R"({"location":"x","checks":[{"hard_state":"OK"}]})"}) {
    auto view = parse_peer_view(body);
    ASSERT_FALSE(view) << body;
    EXPECT_FALSE(view.failure().message.empty());
  }
}

class NotifyConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mailprobe-notify-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "token") << "s3cret\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  core::Outcome<Config> load(const std::string& notifications) {
    auto path = (dir_ / "mailprobe.yaml").string();
    std::ofstream(path) << "checks:\n  - name: imap\n    plugin: check_imap\n"
                           "    args: [-H, Mail.Example.com]\n"
                        << notifications;
    return load_config(path);
  }
  std::string error_of(const std::string& notifications) {
    auto config = load(notifications);
    return config ? "(loaded)" : config.failure().message;
  }
  std::filesystem::path dir_;
};

TEST_F(NotifyConfigTest, Everything) {
  auto token = (dir_ / "token").string();
  auto config = load(
      "notifications:\n"
      "  renotify: 4h\n"
      "  webhooks:\n"
      "    - url: http://127.0.0.1:8080/hook?x=1\n"
      "      bearer_token_file: " +
      token +
      "\n"
      "      timeout: 3s\n"
      "  commands:\n"
      "    - command: [/usr/local/bin/sms, '+49170']\n"
      "  email:\n"
      "    relay: mail.example.com:2525\n"
      "    tls: none\n"
      "    from: mailprobe@example.net\n"
      "    to: [oncall@example.com, b@example.com]\n"
      "  peers: [http://dc-2:9797, https://dc-3:9797/mailprobe/]\n"
      "  peer_user: mp\n"
      "  peer_password_file: " +
      token +
      "\n"
      "  quorum: 2\n");
  ASSERT_TRUE(config) << config.failure().message;
  const auto& n = config->notifications;
  ASSERT_EQ(n.webhooks.size(), 1U);
  EXPECT_EQ(n.webhooks[0].target.host, "127.0.0.1");
  EXPECT_EQ(n.webhooks[0].target.port, 8080);
  EXPECT_EQ(n.webhooks[0].target.target, "/hook?x=1");
  EXPECT_EQ(n.webhooks[0].bearer_token, "s3cret");
  EXPECT_DOUBLE_EQ(n.webhooks[0].timeout_seconds, 3);
  ASSERT_EQ(n.commands.size(), 1U);
  EXPECT_EQ(n.commands[0].argv.back(), "+49170");
  ASSERT_TRUE(n.email);
  EXPECT_EQ(n.email->submission.server.port, 2525);
  EXPECT_EQ(n.email->to.size(), 2U);
  EXPECT_EQ(n.renotify, hours(4));
  ASSERT_EQ(n.peers.size(), 2U);
  EXPECT_TRUE(n.peers[1].target.tls);
  EXPECT_EQ(n.peers[1].target.target, "/mailprobe/");
  EXPECT_EQ(n.peers[0].authorization, "Basic bXA6czNjcmV0");
  EXPECT_EQ(n.quorum, 2);
  // A secret URL from a file.
  std::ofstream(dir_ / "hook.url") << "https://hooks.example.com/services/T0/B0/s3cret\n";
  auto from_file =
      load("notifications:\n  webhooks:\n    - url_file: " + (dir_ / "hook.url").string() + "\n");
  ASSERT_TRUE(from_file) << from_file.failure().message;
  EXPECT_EQ(from_file->notifications.webhooks[0].target.target, "/services/T0/B0/s3cret");
  EXPECT_EQ(protocol::url_for_logs(from_file->notifications.webhooks[0].url),
            "https://hooks.example.com/…");
  // The relay is the server under test: the notifier warns (the daemon's log).
  EXPECT_EQ(checked_hosts(*config).count("mail.example.com"), 1U);
}

// The relay found among the checked servers by address too: localhost is 127.0.0.1, and
// a round trip's servers count.
TEST_F(NotifyConfigTest, TheRelayIsFoundAmongTheCheckedServersByAddress) {
  std::ofstream(dir_ / "mailprobe.yaml")
      << "checks:\n"
         "  - {name: rt, plugin: check_mail_roundtrip, args: [--smtp-host, localhost, "
         "--receive-host, 127.0.0.9, --from, a@b.c, --to, d@e.f, --receive-user, u, "
         "--receive-password-env, HOME, --state-file, "
      << (dir_ / "rt.sqlite").string()
      << "]}\n"
         "notifications:\n"
         "  email: {relay: '127.0.0.1:2525', tls: none, from: a@b.c, to: [x@y.z]}\n";
  auto config = load_config((dir_ / "mailprobe.yaml").string());
  ASSERT_TRUE(config) << config.failure().message;
  boost::asio::io_context io;
  auto warning = boost::asio::co_spawn(io, relay_warning(*config), boost::asio::use_future);
  io.run();
  auto text = warning.get();
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("relay 127.0.0.1:2525 is the address of localhost, a server that the "
                       "checks test"),
            std::string::npos)
      << *text;
  // Another relay: no warning.
  config->notifications.email->submission.server.host = "192.0.2.1";
  io.restart();
  auto none = boost::asio::co_spawn(io, relay_warning(*config), boost::asio::use_future);
  io.run();
  EXPECT_FALSE(none.get());
}

TEST_F(NotifyConfigTest, ErrorsNameTheKey) {
  EXPECT_NE(error_of("notifications:\n  webhooks:\n    - url: ftp://x/\n")
                .find(":7: notifications.webhooks[0].url: 'ftp://x': use http:// or https://"),
            std::string::npos);
  // The message never repeats a password, nor a path (a Slack URL's secret).
  auto userinfo = error_of("notifications:\n  webhooks:\n    - url: http://user:pw@x/T0/B0/s3\n");
  EXPECT_NE(userinfo.find("notifications.webhooks[0].url: 'http://x/…': no user or password"),
            std::string::npos)
      << userinfo;
  EXPECT_EQ(userinfo.find("pw"), std::string::npos) << userinfo;
  EXPECT_NE(error_of("notifications:\n  webhooks:\n    - {url: 'http://x/', url_env: HOOK}\n")
                .find("notifications.webhooks[0].url: give one of url, url_file and url_env"),
            std::string::npos);
  EXPECT_NE(error_of("notifications:\n  webhooks:\n    - {url_env: MAILPROBE_NO_SUCH_HOOK}\n")
                .find("notifications.webhooks[0].url_env: environment variable "
                      "MAILPROBE_NO_SUCH_HOOK is not set"),
            std::string::npos);
  EXPECT_NE(error_of("notifications:\n  commands:\n    - command: 'sms +49'\n")
                .find("notifications.commands[0].command: must be a list"),
            std::string::npos);
  EXPECT_NE(error_of("notifications:\n  webhooks: [{url: 'http://x/'}]\n  quorum: 2\n")
                .find("notifications.quorum: '2' is not a whole number from 1 to 1"),
            std::string::npos);
  EXPECT_NE(error_of("notifications:\n  email: {relay: 'x:25', from: a@b, to: [nobody]}\n")
                .find("notifications.email.to: 'nobody' is not an address"),
            std::string::npos);
  EXPECT_NE(error_of("notifications:\n  email: {relay: 'x:25', tls: none, user: u, "
                     "password_env: HOME, from: a@b, to: [c@d]}\n")
                .find("notifications.email.tls: a login needs tls"),
            std::string::npos);
  EXPECT_NE(error_of("notifications:\n  renotify: 1h\n").find("no webhooks, commands or email"),
            std::string::npos);
  EXPECT_NE(error_of("notifications:\n  webhooks: [{url: 'http://x/'}]\n  bogus: 1\n")
                .find("notifications.bogus: unknown key"),
            std::string::npos);
}

TEST(HistoryNotified, SurvivesAReopen) {
  auto path = std::filesystem::temp_directory_path() /
              ("mailprobe-notified-" + std::to_string(::getpid()) + ".sqlite");
  {
    auto history = History::open(path.string(), 3'600'000);
    ASSERT_TRUE(history);
    (*history)->set_notified("imap", NotifiedRow{"imap", State::critical, 1000, 2000});
    (*history)->set_notified("smtp", NotifiedRow{"smtp", State::warning, 1500, 1500});
    (*history)->set_notified("imap", NotifiedRow{"imap", State::critical, 1000, 3000});
    (*history)->set_notified("smtp", std::nullopt);
    (*history)->flush();
  }
  auto history = History::open(path.string(), 3'600'000);
  ASSERT_TRUE(history);
  auto rows = (*history)->notified();
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].check, "imap");
  EXPECT_EQ(rows[0].state, State::critical);
  EXPECT_EQ(rows[0].first_ms, 1000);
  EXPECT_EQ(rows[0].last_ms, 3000);
  history->reset();
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(path.string() + suffix);
}

}  // namespace
}  // namespace mailprobe::daemon

namespace mailprobe::daemon {
namespace {

TEST_F(NotifyConfigTest, HttpAccessErrors) {
  auto token = (dir_ / "token").string();
  EXPECT_NE(
      error_of("http: {tls_cert_file: /nonexistent.pem}\n")
          .find(":5: http.tls_key_file: missing (tls_cert_file and tls_key_file go together)"),
      std::string::npos);
  EXPECT_NE(error_of("http: {tls_cert_file: " + token + ", tls_key_file: " + token + "}\n")
                .find("http.tls_cert_file: " + token + ": "),
            std::string::npos);
  EXPECT_NE(error_of("http: {users: [{name: a}]}\n").find("http.users[0].password_file: missing"),
            std::string::npos);
  EXPECT_NE(error_of("http: {users: [{name: 'a:b', password_file: " + token + "}]}\n")
                .find("http.users[0].name: a user name is not empty and has no ':'"),
            std::string::npos);
  auto config = load("http: {users: [{name: admin, password_file: " + token + "}]}\n");
  ASSERT_TRUE(config) << config.failure().message;
  EXPECT_EQ(config->http.users.at("admin"), "s3cret");
  EXPECT_EQ(config->http.tls, nullptr);
}

}  // namespace
}  // namespace mailprobe::daemon
