// check_mailstore: the options of MailStore's check_mailstore.py plugin (seeds/000_*, the
// "Monitoring" chapter of seeds/001_*), with the password kept out of argv if wanted and
// the server certificate verified.

#include "core/civil_time.hpp"
#include "plugins/mailstore_options.hpp"
#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/mailstore_jobs.hpp"

namespace mailprobe::plugins {

namespace {
constexpr const char* service = "MAILSTORE";

std::optional<double> threshold(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return core::parse_number(text);
}
}  // namespace

PluginPlan check_mailstore(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name,
                   "Counts the MailStore Server archiving jobs (or the emails they archived) that "
                   "ended in a period, over the Administration API."};
  MailstoreApiOptions api;
  std::string start;
  std::string end;
  std::string timezone = "$Local";
  std::string machine;
  std::string filter_user;
  std::string profile;
  std::string status = "succeeded";
  std::string search = "profiles";
  std::string warning;
  std::string critical;
  std::string compare = "le";
  bool debug = false;
  add_mailstore_api_options(app, api);
  app.value("-s,--start", start,
            "Start of the period: YYYY-mm-ddTHH:MM:SS (then --end is required) or since:XY, "
            "X a number, Y one of Y m d H M S (years, months, days, hours, minutes, "
            "seconds), e.g. since:90M");
  app.value("-e,--end", end, "End of the period (excluded): YYYY-mm-ddTHH:MM:SS");
  app.value("--timezone", timezone,
            "Windows time zone id of --start/--end and of the times shown, e.g. "
            "'W. Europe Standard Time' (default: $Local, the server's zone)");
  app.value("-m,--machinename", machine, "Only jobs that ran on this machine");
  app.value("--filteruser", filter_user, "Only jobs of this MailStore user");
  app.value("-p,--profile", profile, "Only jobs of this archiving profile: its id or its name");
  app.value("--status", status,
            "Only jobs that ended so: succeeded, failed, cancelled, disconnected, threadAbort, "
            "completedWithWarnings, completedWithErrors (several: a,b); # negates; #all is "
            "every status (default: succeeded)");
  app.value("--search", search,
            "What to count: profiles (or jobs, its older name): the jobs; emails: the "
            "emails they archived (default: profiles)");
  app.value("-w,--warning", warning, "WARNING threshold");
  app.value("-c,--critical", critical, "CRITICAL threshold");
  app.value("--compare", compare,
            "The state is raised when VALUE <compare> THRESHOLD: lt, le, eq, ge, gt "
            "(default: le)");
  app.flag("--DEBUG,--debug", debug, "List the matching jobs");
  if (auto done = parse_plugin_options(app, argc, argv, service)) return *done;

  probes::MailstoreJobsOptions options;
  auto endpoint = make_api_endpoint(api);
  if (!endpoint) return option_error(service, endpoint.failure().message);
  options.endpoint = *endpoint;

  if (start.empty()) return option_error(service, "--start is required (e.g. -s since:1d)");
  if (start.rfind("since:", 0) == 0) {
    auto since = core::parse_since(start);
    if (auto* error = std::get_if<std::string>(&since))
      return option_error(service, "--start " + *error);
    if (!end.empty()) {
      return option_error(service, "--end cannot be combined with --start since:...");
    }
    options.since = std::get<core::Since>(since);
  } else {
    auto from = core::parse_civil_time(start);
    if (!from) {
      return option_error(service, "--start '" + start +
                                       "' is neither YYYY-mm-ddTHH:MM:SS (e.g. "
                                       "2013-01-01T00:00:00) nor since:XY (e.g. since:1d)");
    }
    if (end.empty()) return option_error(service, "--end is required with an absolute --start");
    auto to = core::parse_civil_time(end);
    if (!to) {
      return option_error(
          service, "--end '" + end + "' is not YYYY-mm-ddTHH:MM:SS (e.g. 2013-02-28T23:59:59)");
    }
    if (*to <= *from) {
      return option_error(service, "--end " + core::format_civil_time(*to) +
                                       " is not after --start " + core::format_civil_time(*from));
    }
    options.start = start;
    options.end = end;
  }
  if (timezone.empty()) return option_error(service, "--timezone is empty");
  options.timezone = timezone;

  auto status_filter = probes::parse_status_filter(status);
  if (auto* error = std::get_if<std::string>(&status_filter)) return option_error(service, *error);
  options.filter.status = std::get<probes::StatusFilter>(status_filter);
  if (!profile.empty()) probes::set_profile(options.filter, profile);
  options.filter.machine_name = machine;
  options.filter.user_name = filter_user;

  if (search == "emails") {
    options.count_emails = true;
  } else if (search != "profiles" && search != "jobs") {
    return option_error(service, "--search '" + search + "': use profiles, jobs or emails");
  }
  auto op = probes::parse_compare(compare);
  if (!op) return option_error(service, "--compare '" + compare + "': use lt, le, eq, ge or gt");
  options.thresholds.op = *op;
  options.thresholds.warning = threshold(warning);
  options.thresholds.critical = threshold(critical);
  if (!warning.empty() && !options.thresholds.warning)
    return option_error(service, "-w '" + warning + "' is not a number");
  if (!critical.empty() && !options.thresholds.critical)
    return option_error(service, "-c '" + critical + "' is not a number");

  PluginOptions format_holder;
  format_holder.output_format = api.output_format;
  auto format = make_output_format(format_holder);
  if (!format) return option_error(service, format.failure().message);
  options.debug = debug;
  options.transcript = api.verbose > 0;
  auto call = plugin_call(
      service,
      [options](core::Deadline deadline) {
        return probes::probe_mailstore_jobs(options, deadline);
      },
      api.timeout, *format, options.debug || options.transcript);
  call.servers = {api.host};
  return call;
}

}  // namespace mailprobe::plugins
