#include "probes/mailstore_license.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>
#include <cmath>

#include "core/format.hpp"
#include "probes/mailstore_jobs.hpp"

namespace mailprobe::probes {

namespace mailstore = protocol::mailstore;

namespace {
core::Range range(const std::string& text) {
  return std::get<core::Range>(core::Range::parse(text));
}

bool has(const std::vector<std::string>& methods, std::string_view name) {
  return std::find(methods.begin(), methods.end(), name) != methods.end();
}

// Whether `threshold` is crossed; the reason for the summary when it is.
std::optional<std::string> crossed(const LicenseThreshold& threshold, long long free,
                                   double used_percent, const char* option) {
  auto limit = core::format_number(threshold.value);
  if (threshold.percent) {
    if (used_percent > threshold.value) {
      return core::format_number(used_percent, 1) + "% used, more than " + limit + "% (" + option +
             ")";
    }
  } else if (static_cast<double>(free) < threshold.value) {
    return "fewer than " + limit + " free (" + option + ")";
  }
  return std::nullopt;
}

struct Count {
  long long users = 0;
  long long licensed = 0;
  std::vector<std::string> names;
};
}  // namespace

std::optional<LicenseThreshold> parse_license_threshold(std::string_view text) {
  LicenseThreshold threshold;
  if (!text.empty() && text.back() == '%') {
    threshold.percent = true;
    text.remove_suffix(1);
  }
  auto number = core::parse_number(text);
  if (!number || *number < 0 || (threshold.percent && *number > 100)) return std::nullopt;
  threshold.value = *number;
  return threshold;
}

void judge_licenses(long long users, long long licensed, const MailstoreLicenseOptions& options,
                    core::ProbeResult& result) {
  long long free = licensed - users;
  double used_percent =
      licensed > 0 ? 100.0 * static_cast<double>(users) / static_cast<double>(licensed) : 100.0;
  result.summary = std::to_string(users) + " of " + std::to_string(licensed) + " licensed users, " +
                   std::to_string(std::max(free, 0LL)) + " free";
  result.state = core::State::ok;
  std::optional<std::string> reason;
  if (free < 0) {
    result.state = core::State::critical;
    reason = std::to_string(-free) + " more users than licences";
  } else if (options.critical) {
    reason = crossed(*options.critical, free, used_percent, "-c");
    if (reason) result.state = core::State::critical;
  }
  if (!reason && options.warning) {
    reason = crossed(*options.warning, free, used_percent, "-w");
    if (reason) result.state = core::State::warning;
  }
  if (reason) result.summary += ": " + *reason;

  core::Metric users_metric;
  users_metric.name = "users";
  users_metric.value = static_cast<double>(users);
  users_metric.min = 0.0;
  users_metric.max = static_cast<double>(licensed);
  result.metrics.push_back(users_metric);
  core::Metric licensed_metric;
  licensed_metric.name = "licensed";
  licensed_metric.value = static_cast<double>(licensed);
  result.metrics.push_back(licensed_metric);

  bool percent = (options.warning && options.warning->percent) ||
                 (options.critical && options.critical->percent);
  core::Metric judged;
  judged.min = 0.0;
  if (percent) {
    judged.name = "used";
    judged.unit = "%";
    judged.value = std::round(used_percent * 100) / 100;
    judged.max = 100.0;
    // Used percent alerts above the limit: a plain Nagios range.
    if (options.warning && options.warning->percent)
      judged.warning = range(core::format_number(options.warning->value));
    if (options.critical && options.critical->percent)
      judged.critical = range(core::format_number(options.critical->value));
  } else {
    judged.name = "free";
    judged.value = static_cast<double>(free);
    // Free licences alert below the limit: "5:".
    if (options.warning) judged.warning = range(core::format_number(options.warning->value) + ":");
    if (options.critical)
      judged.critical = range(core::format_number(options.critical->value) + ":");
  }
  result.metrics.push_back(judged);
}

boost::asio::awaitable<core::ProbeResult> probe_mailstore_license(MailstoreLicenseOptions options,
                                                                  core::Deadline deadline) {
  core::ProbeResult result;
  result.service = "MAILSTORE LICENSE";
  auto executor = co_await boost::asio::this_coro::executor;
  mailstore::ApiClient client(executor, options.endpoint, deadline);
  if (options.transcript) client.set_transcript(&result.transcript);
  auto methods = co_await client.method_names();
  note_trust(client, options.endpoint, result);
  if (!methods) {
    result.fail(methods.failure(), core::State::unknown);
    co_await client.close();
    co_return result;
  }
  Count count;
  if (options.licensed) {
    // The original script's way: every user counts against the licensed number.
    std::string method = "GetUsers";
    if (!has(*methods, method) && has(*methods, "GetUserList")) method = "GetUserList";
    auto answer = co_await client.invoke(method, mailstore::Arguments());
    if (!answer) {
      result.fail(answer.failure(), core::State::unknown);
      co_await client.close();
      co_return result;
    }
    auto names = mailstore::parse_user_names(*answer);
    if (!names) {
      result.fail(names.failure(), core::State::unknown);
      co_await client.close();
      co_return result;
    }
    count.users = static_cast<long long>(names->size());
    count.licensed = *options.licensed;
    count.names = std::move(*names);
  } else if (has(*methods, "GetLicenseInformation")) {
    auto answer = co_await client.invoke("GetLicenseInformation", mailstore::Arguments());
    if (!answer) {
      result.fail(answer.failure(), core::State::unknown);
      co_await client.close();
      co_return result;
    }
    auto license = mailstore::parse_license_information(*answer);
    if (!license) {
      result.fail(license.failure(), core::State::unknown);
      co_await client.close();
      co_return result;
    }
    count.users = license->named_users;
    count.licensed = license->max_named_users;
  } else {
    result.fail(core::Failure{"options", core::FailureKind::config,
                              "the server does not offer GetLicenseInformation; give the number "
                              "of licensed users with --licensed N"},
                core::State::unknown);
    co_await client.close();
    co_return result;
  }
  co_await client.close();
  judge_licenses(count.users, count.licensed, options, result);
  if (options.debug) {
    for (const auto& name : count.names)
      result.transcript.push_back("user: " + name);
  }
  co_return result;
}

}  // namespace mailprobe::probes
