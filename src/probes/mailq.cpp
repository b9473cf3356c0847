#include "probes/mailq.hpp"

#include <boost/json/parse.hpp>
#include <map>

#include "core/format.hpp"
#include "core/range.hpp"
#include "probes/run_command.hpp"

namespace mailprobe::probes {

namespace {

std::string domain_of(std::string_view address) {
  auto at = address.rfind('@');
  std::string domain(at == std::string_view::npos ? std::string_view("(local)")
                                                  : address.substr(at + 1));
  for (auto& c : domain)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return domain;
}

std::optional<core::Range> from(long count) {
  // "warn from N on" is the Nagios range "N-1" (alert above N-1) for counts.
  if (count >= 1) return core::Range::upper(static_cast<double>(count - 1));
  auto parsed = core::Range::parse("~:-1");
  if (auto* range = std::get_if<core::Range>(&parsed)) return *range;
  return std::nullopt;
}

std::string plural(long n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

core::Outcome<QueueCounts> count_postqueue_json(std::string_view output) {
  QueueCounts counts;
  std::map<std::string, long> per_domain;
  std::size_t line_number = 0;
  while (!output.empty()) {
    auto end = output.find('\n');
    auto line = output.substr(0, end);
    output.remove_prefix(end == std::string_view::npos ? output.size() : end + 1);
    ++line_number;
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (ec || !value.is_object()) {
      return core::Failure{"queue", core::FailureKind::protocol,
                           "postqueue -j line " + std::to_string(line_number) +
                               " is not a JSON object: '" + std::string(line.substr(0, 120)) + "'"};
    }
    ++counts.messages;
    const auto* recipients = value.as_object().if_contains("recipients");
    if (recipients == nullptr || !recipients->is_array()) continue;
    // A message counts once per domain it still waits for.
    std::map<std::string, bool> seen;
    for (const auto& recipient : recipients->as_array()) {
      if (!recipient.is_object()) continue;
      const auto* address = recipient.as_object().if_contains("address");
      if (address == nullptr || !address->is_string()) continue;
      auto domain = domain_of(address->as_string());
      if (!seen[domain]) {
        seen[domain] = true;
        ++per_domain[domain];
      }
    }
  }
  for (const auto& [domain, count] : per_domain) {
    if (count > counts.largest_domain_count) {
      counts.largest_domain_count = count;
      counts.largest_domain = domain;
    }
  }
  return counts;
}

boost::asio::awaitable<core::ProbeResult> probe_mailq(MailqOptions options,
                                                      core::Deadline deadline) {
  core::ProbeResult result;
  result.service = "MAILQ";
  std::vector<std::string> argv;
  std::vector<std::string> environment;
  std::string name = options.server == MailServer::postfix ? "postfix" : "exim";
  if (options.server == MailServer::postfix) {
    argv = {options.command.empty() ? "postqueue" : options.command};
    if (!options.config_dir.empty()) {
      argv.push_back("-c");
      argv.push_back(options.config_dir);
    }
    argv.push_back("-j");
  } else {
    argv = {options.command.empty() ? "exim" : options.command, "-bpc"};
  }
  std::string command_text;
  for (const auto& a : argv)
    command_text += (command_text.empty() ? "" : " ") + a;

  // The whole listing is needed for per-domain counts: keep up to 64 MiB.
  auto ran = co_await run_command(argv, environment, deadline, std::size_t{64} << 20);
  if (!ran) {
    result.fail(ran.failure(), core::State::unknown);
    co_return result;
  }
  auto first_line = ran->output.substr(0, ran->output.find('\n'));
  if (ran->exit_status != 0) {
    result.fail({"queue", core::FailureKind::rejected,
                 command_text + " exited with " + std::to_string(ran->exit_status) +
                     (first_line.empty() ? "" : ": " + first_line)},
                core::State::critical);
    co_return result;
  }
  if (ran->truncated) {
    result.fail({"queue", core::FailureKind::protocol,
                 command_text + " printed more than 64 MiB; cannot count"},
                core::State::unknown);
    co_return result;
  }

  QueueCounts counts;
  if (options.server == MailServer::postfix) {
    auto counted = count_postqueue_json(ran->output);
    if (!counted) {
      result.fail(counted.failure(), core::State::unknown);
      co_return result;
    }
    counts = *counted;
  } else {
    auto number = core::parse_number(first_line);
    if (!number || *number < 0) {
      result.fail({"queue", core::FailureKind::protocol,
                   command_text + " printed '" + first_line.substr(0, 80) + "', not a count"},
                  core::State::unknown);
      co_return result;
    }
    counts.messages = static_cast<long>(*number);
  }

  result.metrics.push_back({"unsent", static_cast<double>(counts.messages), "",
                            from(options.warning), from(options.critical), 0.0, std::nullopt});
  if (counts.messages >= options.critical) {
    result.state = core::State::critical;
  } else if (counts.messages >= options.warning) {
    result.state = core::State::warning;
  }
  result.summary = counts.messages == 0
                       ? name + " queue is empty"
                       : name + " queue holds " + plural(counts.messages, "message");
  if (result.state == core::State::critical) {
    result.summary += " (critical from " + std::to_string(options.critical) + ")";
  } else if (result.state == core::State::warning) {
    result.summary += " (warning from " + std::to_string(options.warning) + ")";
  }

  if (options.domain_warning || options.domain_critical) {
    result.metrics.push_back(
        {"largest_domain", static_cast<double>(counts.largest_domain_count), "",
         options.domain_warning ? from(*options.domain_warning) : std::nullopt,
         options.domain_critical ? from(*options.domain_critical) : std::nullopt, 0.0,
         std::nullopt});
    core::Subcheck domain;
    domain.summary = counts.largest_domain.empty()
                         ? "no recipient domain has queued mail"
                         : plural(counts.largest_domain_count, "message") + " queued for " +
                               counts.largest_domain;
    if (options.domain_critical && counts.largest_domain_count >= *options.domain_critical) {
      domain.state = core::State::critical;
    } else if (options.domain_warning && counts.largest_domain_count >= *options.domain_warning) {
      domain.state = core::State::warning;
    }
    result.subchecks.push_back(domain);
  }
  co_return result;
}

}  // namespace mailprobe::probes
