#include "probes/mailstore_jobs.hpp"

#include <algorithm>
#include <boost/asio/this_coro.hpp>

#include "core/format.hpp"
#include "probes/mailstore_time.hpp"

namespace mailprobe::probes {

namespace mailstore = protocol::mailstore;

namespace {
// Every failure of this check is UNKNOWN: the jobs could not be counted. Which failure
// it was (connection refused, login refused, API error) is in the message.
void fail(core::ProbeResult& result, core::Failure failure) {
  result.fail(std::move(failure), core::State::unknown);
}

mailstore::Arguments worker_arguments(const Window& window, const JobFilter& filter) {
  mailstore::Arguments arguments;
  arguments.emplace_back("fromIncluding", window.from);
  arguments.emplace_back("toExcluding", window.to);
  // The only argument of the API spelled with a capital D.
  arguments.emplace_back("timeZoneID", window.zone);
  // The server filters by profile id and user name itself; the answer is filtered again
  // here in case it does not.
  if (filter.profile_id) arguments.emplace_back("profileID", std::to_string(*filter.profile_id));
  if (!filter.user_name.empty()) arguments.emplace_back("userName", filter.user_name);
  return arguments;
}

std::string plural(long long count, const std::string& one, const std::string& many) {
  return std::to_string(count) + " " + (count == 1 ? one : many);
}

std::string job_line(const mailstore::WorkerResult& job) {
  std::string profile_id = job.profile_id ? std::to_string(*job.profile_id) : "-";
  return "job " + std::to_string(job.id) + ": " + job.result + ", profile " + profile_id + " '" +
         job.profile_name + "', user " + job.user_name + ", machine " + job.machine_name +
         ", started " + job.start_time + ", ended " + job.complete_time + ", " +
         plural(job.items_archived, "email", "emails") + " archived";
}

std::string threshold_text(const CompareThresholds& thresholds, core::State state, double value) {
  const auto& limit = state == core::State::critical ? thresholds.critical : thresholds.warning;
  std::string option = state == core::State::critical ? "-c" : "-w";
  return core::format_number(value) + " " + std::string(compare_symbol(thresholds.op)) + " " +
         core::format_number(*limit) + " (" + option + ", --compare " +
         std::string(compare_name(thresholds.op)) + ")";
}

// Judges the count and fills summary, state, metric and the job list.
void judge(const MailstoreJobsOptions& options, const Window& window,
           std::vector<mailstore::WorkerResult> jobs, std::size_t received,
           core::ProbeResult& result) {
  std::vector<mailstore::WorkerResult> matching;
  for (auto& job : jobs) {
    if (options.filter.matches(job)) matching.push_back(std::move(job));
  }
  // The API returns jobs in no particular order.
  std::sort(matching.begin(), matching.end(), [](const auto& a, const auto& b) {
    return a.complete_time != b.complete_time ? a.complete_time < b.complete_time : a.id < b.id;
  });
  long long emails = 0;
  for (const auto& job : matching)
    emails += job.items_archived;
  auto job_count = static_cast<long long>(matching.size());
  double value =
      options.count_emails ? static_cast<double>(emails) : static_cast<double>(job_count);

  std::string jobs_text = plural(job_count, "job", "jobs") + " with status " +
                          options.filter.status.describe() + options.filter.describe();
  std::string summary = options.count_emails
                            ? plural(emails, "email", "emails") + " archived by " + jobs_text
                            : jobs_text;
  summary += " " + window.described;
  if (!matching.empty()) summary += ", last ended " + matching.back().complete_time;

  auto state = options.thresholds.evaluate(value);
  if (state != core::State::ok) summary += ": " + threshold_text(options.thresholds, state, value);
  result.state = state;
  result.summary = summary;

  core::Metric metric;
  metric.name = options.count_emails ? "emails" : "jobs";
  metric.value = value;
  if (options.thresholds.warning)
    metric.warning = compare_range(options.thresholds.op, *options.thresholds.warning);
  if (options.thresholds.critical)
    metric.critical = compare_range(options.thresholds.op, *options.thresholds.critical);
  metric.min = 0.0;
  result.metrics.push_back(std::move(metric));

  if (options.debug) {
    result.transcript.push_back("GetWorkerResults returned " +
                                plural(static_cast<long long>(received), "job", "jobs") + ", " +
                                std::to_string(matching.size()) + " matching:");
    for (const auto& job : matching)
      result.transcript.push_back(job_line(job));
  }
}
core::Outcome<Window> make_window(const MailstoreJobsOptions& options) {
  if (options.since) {
    return since_window(*options.since, options.timezone, std::chrono::system_clock::now());
  }
  return absolute_window(options.start, options.end, options.timezone);
}
}  // namespace

void note_trust(const mailstore::ApiClient& client, const mailstore::ApiEndpoint& endpoint,
                core::ProbeResult& result) {
  const auto& facts = client.tls_facts();
  if (!endpoint.fingerprint.empty() || !facts || facts->verified) return;
  std::string note = "certificate verification disabled (--insecure)";
  if (!facts->verify_problem.empty()) note += "; verification would fail: " + facts->verify_problem;
  result.notes.push_back(note);
}

boost::asio::awaitable<core::ProbeResult> probe_mailstore_jobs(MailstoreJobsOptions options,
                                                               core::Deadline deadline) {
  core::ProbeResult result;
  result.service = "MAILSTORE";
  auto window = make_window(options);
  if (!window) {
    fail(result, window.failure());
    co_return result;
  }
  auto executor = co_await boost::asio::this_coro::executor;
  mailstore::ApiClient client(executor, options.endpoint, deadline);
  if (options.transcript) client.set_transcript(&result.transcript);
  auto arguments = worker_arguments(*window, options.filter);
  auto answer = co_await client.invoke("GetWorkerResults", std::move(arguments));
  note_trust(client, options.endpoint, result);
  if (!answer) {
    fail(result, answer.failure());
    co_await client.close();
    co_return result;
  }
  auto jobs = mailstore::parse_worker_results(*answer);
  co_await client.close();
  if (!jobs) {
    fail(result, jobs.failure());
    co_return result;
  }
  auto received = jobs->size();
  judge(options, *window, std::move(*jobs), received, result);
  co_return result;
}

}  // namespace mailprobe::probes
