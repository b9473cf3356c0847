#include "probes/reflector.hpp"

#include "probes/roundtrip_state.hpp"

namespace mailprobe::probes {

std::variant<ProbeToken, std::string> judge_message(std::string_view message,
                                                    std::string_view secret,
                                                    std::chrono::system_clock::time_point now,
                                                    double max_age_seconds) {
  auto headers = header_block(message);
  if (header_value(headers, reflection_header)) return std::string("a reflection: never answered");
  auto value = header_value(headers, probe_header);
  if (!value) return std::string("not a probe");
  auto token = parse_probe_token(*value);
  if (!token) return std::string("malformed probe token");
  if (!verify_probe(*token, secret)) return std::string("forged or foreign probe (bad signature)");
  auto age_ms = unix_ms(now) - token->sent_ms;
  if (age_ms > static_cast<std::int64_t>(max_age_seconds * 1000)) {
    return "stale probe (" + std::to_string(age_ms / 1000) + " s old)";
  }
  // A little clock skew is fine; a probe from the future is a replay trick or a bad clock.
  if (age_ms < -5L * 60 * 1000) return std::string("probe from the future");
  return *token;
}

boost::asio::awaitable<ReflectOutcome> reflect_message(std::string message,
                                                       ReflectorOptions options,
                                                       core::Deadline deadline) {
  auto seen = std::chrono::system_clock::now();
  if (message.size() > options.max_message_bytes) {
    co_return ReflectOutcome{ReflectVerdict::ignored, "message too big for a probe"};
  }
  auto judged = judge_message(message, options.secret, seen, options.max_age_seconds);
  if (auto* why = std::get_if<std::string>(&judged)) {
    co_return ReflectOutcome{ReflectVerdict::ignored, *why};
  }
  auto token = std::get<ProbeToken>(judged);
  auto state = RoundTripState::open(options.state_file, "reflector", 5000);
  if (!state) co_return ReflectOutcome{ReflectVerdict::failed, state.failure().message};
  auto fresh = state->remember_reflected(token.id, unix_ms(seen));
  if (!fresh) co_return ReflectOutcome{ReflectVerdict::failed, fresh.failure().message};
  if (!*fresh) {
    co_return ReflectOutcome{ReflectVerdict::answered_before,
                             "probe " + token.id + " answered before (replay)"};
  }
  auto reflection = make_reflection(token, options.from, options.secret, seen);
  core::ProbeResult login_record;  // the token's timing and warnings
  LoginToken login(options.smtp_oauth, login_record, "token", false, deadline);
  auto sent = co_await submit_message(options.smtp, options.from, token.reply_to, reflection,
                                      deadline, nullptr, {}, &login);
  if (!sent) {
    // Not answered after all: a retry of the delivery may answer it.
    state->forget_reflected(token.id);
    co_return ReflectOutcome{ReflectVerdict::failed,
                             "cannot send the reflection: " + sent.failure().message};
  }
  ReflectOutcome outcome{ReflectVerdict::reflected,
                         "reflected probe " + token.id + " to " + token.reply_to};
  for (const auto& warning : login_record.subchecks)
    outcome.detail += "; " + warning.summary;
  co_return outcome;
}

}  // namespace mailprobe::probes
