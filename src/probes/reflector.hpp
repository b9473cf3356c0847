#pragma once
// The reflector (Email Scout's email_return): answers a genuine, fresh round-trip probe
// with the time it saw it, and ignores everything else without a word, so that it can be
// neither a mail loop nor a source of backscatter.

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/deadline.hpp"
#include "core/outcome.hpp"
#include "probes/mail_submission.hpp"
#include "probes/roundtrip_message.hpp"

namespace mailprobe::probes {

struct ReflectorOptions {
  SubmissionSettings smtp;  // where reflections are handed over
  // --oauth-* (--smtp-oauth-*): the SMTP login's token comes from here at each reflection.
  std::shared_ptr<TokenSource> smtp_oauth;
  std::string from;        // sender of reflections
  std::string secret;      // shared with the prober
  std::string state_file;  // remembers answered probes (no replays)
  double max_age_seconds = 3600;
  std::size_t max_message_bytes = std::size_t{1} << 20;
};

// Why a message is not reflected, or the probe to reflect. Judged without I/O:
// not a probe, a reflection (never answered: no loops), forged (bad signature),
// stale (older than max_age, or from the future), too big.
std::variant<ProbeToken, std::string> judge_message(std::string_view message,
                                                    std::string_view secret,
                                                    std::chrono::system_clock::time_point now,
                                                    double max_age_seconds);

enum class ReflectVerdict { reflected, answered_before, ignored, failed };

struct ReflectOutcome {
  ReflectVerdict verdict = ReflectVerdict::ignored;
  std::string detail;  // one line for the log
};

// Judges `message`, checks it was not answered before, and sends the reflection.
boost::asio::awaitable<ReflectOutcome> reflect_message(std::string message,
                                                       ReflectorOptions options,
                                                       core::Deadline deadline);

}  // namespace mailprobe::probes
