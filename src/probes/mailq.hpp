#pragma once
// check_mailq: the number of messages in the local MTA's queue (Postfix or Exim), and for
// Postfix the largest number queued for one recipient domain.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "core/deadline.hpp"
#include "core/result.hpp"

namespace mailprobe::probes {

enum class MailServer { postfix, exim };

struct MailqOptions {
  MailServer server = MailServer::postfix;
  long warning = 0;                     // -w: WARNING from this many messages on
  long critical = 0;                    // -c: CRITICAL from this many on
  std::optional<long> domain_warning;   // -W: messages for one recipient domain
  std::optional<long> domain_critical;  // -C
  std::string config_dir;               // -d: Postfix configuration directory (postqueue -c)
  std::string command;                  // the queue command, when not the default
};

// Counts from `postqueue -j` output: one JSON object per queued message.
struct QueueCounts {
  long messages = 0;
  long largest_domain_count = 0;
  std::string largest_domain;
};
// Fails with a message naming the line when the output is not postqueue's JSON.
core::Outcome<QueueCounts> count_postqueue_json(std::string_view output);

boost::asio::awaitable<core::ProbeResult> probe_mailq(MailqOptions options,
                                                      core::Deadline deadline);

}  // namespace mailprobe::probes
