// The MailStore API's answers: JSON with or without a byte order mark, the envelope of
// /api/invoke, /api/get-status and /api/cancel-async (running, failed, succeeded, error
// objects), and the results check_mailstore and check_mailstore_license read from it.
#include "fuzz_target.hpp"
#include "protocol/mailstore_envelope.hpp"

MAILPROBE_FUZZ_TARGET(mailstore_json) {
  using namespace mailprobe::protocol::mailstore;
  auto body = mailprobe::fuzz::as_text(data, size);
  if (auto envelope = parse_envelope(body)) {
    if (envelope->error) static_cast<void>(describe_error(*envelope->error));
    static_cast<void>(parse_worker_results(envelope->result));
    static_cast<void>(parse_user_names(envelope->result));
    static_cast<void>(parse_license_information(envelope->result));
  }
  if (auto json = parse_json(body)) static_cast<void>(parse_method_names(*json));
  return 0;
}
