// The round-trip message format and state, without a mail server: tokens that a
// reflector can trust, and a state file in which each arrival is counted once.

#include <gtest/gtest.h>

#include "probes/reflector.hpp"
#include "probes/roundtrip_message.hpp"
#include "probes/roundtrip_run.hpp"
#include "probes/roundtrip_state.hpp"
#include "support/test_pki.hpp"

namespace mailprobe::probes {
namespace {

using namespace std::chrono_literals;
const std::string secret = "0123456789abcdef-shared";
const auto when = std::chrono::system_clock::time_point(std::chrono::milliseconds(1795350209655));

TEST(RoundTripMessage, ProbeCarriesAVerifiableToken) {
  auto probe = make_probe("mon@example.test", "box@example.test", secret, when);
  EXPECT_EQ(probe.id.size(), 32u);
  auto headers = header_block(probe.text);
  auto value = header_value(headers, "x-mailprobe-probe");
  ASSERT_TRUE(value);
  auto token = parse_probe_token(*value);
  ASSERT_TRUE(token);
  EXPECT_EQ(token->id, probe.id);
  EXPECT_EQ(token->sent_ms, 1795350209655);
  EXPECT_EQ(token->reply_to, "mon@example.test");
  EXPECT_TRUE(verify_probe(*token, secret));
  EXPECT_FALSE(verify_probe(*token, "another secret"));
  // Nothing signed may be changed: not the id, not the time, not where a reflection goes.
  auto forged = *token;
  forged.reply_to = "victim@elsewhere.example";
  EXPECT_FALSE(verify_probe(forged, secret));
  forged = *token;
  forged.sent_ms += 1;
  EXPECT_FALSE(verify_probe(forged, secret));
  EXPECT_EQ(header_value(headers, "Date"), "Sun, 22 Nov 2026 12:23:29 +0000");
  EXPECT_EQ(header_value(headers, "Auto-Submitted"), "auto-generated");
  EXPECT_NE(probe.text.find("\r\n\r\nThis message tests mail delivery."), std::string::npos);
}

TEST(RoundTripMessage, ReflectionCarriesBothClocks) {
  auto probe = make_probe("mon@example.test", "reflector@example.test", secret, when);
  auto token = parse_probe_token(*header_value(probe.text, probe_header));
  auto reflection = make_reflection(*token, "reflector@example.test", secret, when + 1500ms);
  EXPECT_EQ(header_value(reflection, "To"), "<mon@example.test>");
  EXPECT_EQ(header_value(reflection, "Auto-Submitted"), "auto-replied");
  auto back = parse_reflection_token(*header_value(reflection, reflection_header));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->id, token->id);
  EXPECT_EQ(back->seen_ms - back->sent_ms, 1500);
  EXPECT_TRUE(verify_reflection(*back, secret));
  back->seen_ms -= 1000;
  EXPECT_FALSE(verify_reflection(*back, secret));
}

TEST(RoundTripMessage, TokensRejectGarbage) {
  EXPECT_FALSE(parse_probe_token(""));
  EXPECT_FALSE(parse_probe_token("v2 id=ab sent=1 reply=a@b mac=cd"));
  EXPECT_FALSE(parse_probe_token("v1 id=XYZ sent=1 reply=a@b mac=cd"));
  EXPECT_FALSE(parse_probe_token("v1 id=ab sent=soon reply=a@b mac=cd"));
  EXPECT_FALSE(parse_probe_token("v1 id=ab sent=1 mac=cd"));
  EXPECT_TRUE(parse_probe_token("v1 id=ab sent=1 reply=a@b mac=cd"));
  EXPECT_FALSE(parse_reflection_token("v1 id=ab sent=1 mac=cd"));
}

TEST(RoundTripMessage, HeaderValuesUnfoldAndIgnoreCase) {
  std::string headers =
      "Received: from a by b;\r\n\tSat, 22 Nov 2026 12:00:00 +0000\r\n"
      "Subject: first\r\nsubject: second\r\n\r\nSubject: in the body\r\n";
  EXPECT_EQ(header_value(headers, "received"), "from a by b; Sat, 22 Nov 2026 12:00:00 +0000");
  EXPECT_EQ(header_value(headers, "Subject"), "first");
  EXPECT_FALSE(header_value(headers, "X-Mailprobe-Probe"));
}

// A folded line of only white space used to throw std::out_of_range (substr at npos): one
// such mail stopped the reflector and every round trip reading the mailbox.
TEST(RoundTripMessage, BlankContinuationLinesAreHarmless) {
  EXPECT_EQ(header_value("Received:\n\t", "Received"), "");
  EXPECT_EQ(header_value("X-Mailprobe-Probe: v1\r\n \r\n\r\n", probe_header), "v1");
  EXPECT_EQ(header_value("Received: a;\r\n \t \r\n\tSat, 22 Nov 2026\r\n\r\n", "Received"),
            "a; Sat, 22 Nov 2026");
  auto judged = judge_message("X-Mailprobe-Probe: v1\r\n \r\n\r\n", "secret",
                              std::chrono::system_clock::now(), 3600);
  ASSERT_TRUE(std::holds_alternative<std::string>(judged));
  EXPECT_EQ(std::get<std::string>(judged), "malformed probe token");
}

TEST(RoundTripDates, ServerArrivalDates) {
  EXPECT_EQ(roundtrip::parse_internal_date("22-Nov-2026 12:23:29 +0000"), 1795350209000);
  EXPECT_EQ(roundtrip::parse_internal_date(" 2-Nov-2026 12:23:29 +0100"), 1793618609000);
  EXPECT_EQ(roundtrip::parse_rfc5322_date(" Sun, 22 Nov 2026 13:23:29 +0100"), 1795350209000);
  EXPECT_EQ(roundtrip::parse_rfc5322_date("22 Nov 2026 12:23:29 +0000"), 1795350209000);
  EXPECT_FALSE(roundtrip::parse_internal_date("yesterday"));
}

struct RoundTripStateTest : ::testing::Test {
  std::string path = test::temp_directory() + "/state.sqlite";
  RoundTripState open(const std::string& key = "check-a") {
    auto state = RoundTripState::open(path, key, 2000);
    EXPECT_TRUE(state) << state.failure().message;
    return std::move(*state);
  }
};

TEST_F(RoundTripStateTest, AnArrivalIsCountedOnceAcrossRuns) {
  auto first = open();
  auto second = open();  // another run at the same time, same file
  ASSERT_TRUE(first.record_sending("p1", 1000));
  ASSERT_TRUE(first.record_sent("p1", 1000, 5, current_boot_id()));
  auto found = second.lookup("p1");
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->state, "pending");
  EXPECT_TRUE(*second.claim_arrival("p1", 1500, 0.5, false));
  EXPECT_FALSE(*first.claim_arrival("p1", 1600, 0.6, false));
  EXPECT_TRUE(first.outstanding()->empty());
}

TEST_F(RoundTripStateTest, LostStaysLostAndALateArrivalIsTold) {
  auto state = open();
  ASSERT_TRUE(state.record_sending("old", 1000));
  ASSERT_TRUE(state.record_sent("old", 1000, 5, "boot"));
  ASSERT_TRUE(state.record_sending("new", 9000));
  EXPECT_EQ(*state.declare_lost(5000, 10000), 1);  // only the old one
  EXPECT_EQ(*state.declare_lost(5000, 11000), 0);  // declared once
  auto outstanding = state.outstanding();
  ASSERT_EQ(outstanding->size(), 1u);
  EXPECT_EQ(outstanding->front().id, "new");
  EXPECT_EQ((*state.lookup("old"))->state, "lost");
  EXPECT_TRUE(*state.claim_arrival("old", 20000, 19.0, false));
  EXPECT_EQ((*state.lookup("old"))->state, "late");
}

TEST_F(RoundTripStateTest, ChecksSharingAFileDoNotSeeEachOthersProbes) {
  auto a = open("check-a");
  auto b = open("check-b");
  ASSERT_TRUE(a.record_sending("pa", 1000));
  EXPECT_FALSE(*b.lookup("pa"));
  EXPECT_FALSE(*b.claim_arrival("pa", 2000, 1.0, false));
  EXPECT_EQ(*b.declare_lost(5000, 6000), 0);
  EXPECT_EQ(*a.declare_lost(5000, 6000), 1);
}

TEST_F(RoundTripStateTest, RefusedProbesAreForgotten) {
  auto state = open();
  ASSERT_TRUE(state.record_sending("refused", 1000));
  ASSERT_TRUE(state.forget("refused"));
  EXPECT_FALSE(*state.lookup("refused"));
}

TEST_F(RoundTripStateTest, ReflectorRemembersWhatItAnswered) {
  auto state = open();
  EXPECT_TRUE(*state.remember_reflected("p1", 1000));
  EXPECT_FALSE(*state.remember_reflected("p1", 2000));
}

// A mail system can deliver this run's probe before the answer to its sending is read
// (IMAP IDLE reports it at once): it is looked at again, not timed as an earlier run's.
TEST_F(RoundTripStateTest, ThisRunsProbeSeenBeforeItsAnswerIsLookedAtAgain) {
  auto state = open();
  boost::asio::io_context io;
  RoundTripOptions options;
  core::ProbeResult result;
  roundtrip::Run run(options, state, result, core::Deadline::after(10s), io.get_executor());
  auto sent = std::chrono::system_clock::now();
  auto sent_ms = unix_ms(sent);
  auto probe = make_probe("mon@example.test", "box@example.test", secret, sent);
  run.probe_id = probe.id;
  ASSERT_TRUE(state.record_sending(probe.id, sent_ms));
  roundtrip::Sighting sighting{std::string(header_block(probe.text)), false,
                               roundtrip::Clock::now(), sent_ms + 5, "UID 7"};
  EXPECT_EQ(roundtrip::handle_sighting(run, sighting, secret), roundtrip::Sighted::look_again);
  EXPECT_TRUE(run.arrivals.empty());
  EXPECT_TRUE(run.own_seen_early);  // IDLE will not announce it again: the receiver looks
  EXPECT_EQ((*state.lookup(probe.id))->state, "sending");  // not claimed
  // The 250 comes in; the next look counts it as this run's, on the monotonic clock.
  run.accepted_at = roundtrip::Clock::now();
  run.accepted_ms = sent_ms;
  ASSERT_TRUE(state.record_sent(probe.id, sent_ms, 5, current_boot_id()));
  sighting.seen_at = *run.accepted_at + 20ms;
  EXPECT_EQ(roundtrip::handle_sighting(run, sighting, secret), roundtrip::Sighted::ours);
  ASSERT_EQ(run.arrivals.size(), 1u);
  EXPECT_TRUE(run.arrivals[0].this_run);
  EXPECT_TRUE(run.arrivals[0].precise);
  EXPECT_NEAR(run.arrivals[0].rtt_seconds, 0.020, 0.001);
}

// Seen early, and then the sending failed (the answer never came): the run does not stop
// waiting before it has looked again, and then counts it as an earlier run's, to delete.
TEST_F(RoundTripStateTest, AProbeSeenEarlyWhoseSendingFailedIsStillCountedAndDeleted) {
  auto state = open();
  boost::asio::io_context io;
  RoundTripOptions options;
  core::ProbeResult result;
  roundtrip::Run run(options, state, result, core::Deadline::after(10s), io.get_executor());
  auto sent = std::chrono::system_clock::now();
  auto probe = make_probe("mon@example.test", "box@example.test", secret, sent);
  run.probe_id = probe.id;
  ASSERT_TRUE(state.record_sending(probe.id, unix_ms(sent)));
  roundtrip::Sighting sighting{std::string(header_block(probe.text)), false,
                               roundtrip::Clock::now(), unix_ms(sent) + 5, "UID 7"};
  EXPECT_EQ(roundtrip::handle_sighting(run, sighting, secret), roundtrip::Sighted::look_again);
  run.send_done = true;  // no answer, send_ok stays false
  EXPECT_FALSE(run.nothing_coming());
  EXPECT_TRUE(run.look_again_now());
  EXPECT_EQ(roundtrip::handle_sighting(run, sighting, secret), roundtrip::Sighted::ours);
  ASSERT_EQ(run.arrivals.size(), 1u);
  EXPECT_FALSE(run.arrivals[0].this_run);
  EXPECT_TRUE(run.nothing_coming());  // now the loop may end
}

TEST_F(RoundTripStateTest, UnwritablePlaceIsAClearError) {
  auto state = RoundTripState::open("/proc/no-such-dir/state.sqlite", "k", 100);
  ASSERT_FALSE(state);
  EXPECT_EQ(state.failure().kind, core::FailureKind::config);
  EXPECT_NE(state.failure().message.find("/proc/no-such-dir/state.sqlite"), std::string::npos);
}

}  // namespace
}  // namespace mailprobe::probes
