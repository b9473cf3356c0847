// check_mailstore_license: MailStore's check_mailstorelicence script, with options
// instead of settings edited inside the script.

#include "plugins/mailstore_options.hpp"
#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/mailstore_license.hpp"

namespace mailprobe::plugins {

namespace {
constexpr const char* service = "MAILSTORE LICENSE";
}  // namespace

PluginPlan check_mailstore_license(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name,
                   "Warns before the number of MailStore Server users reaches the number of "
                   "licensed users, over the Administration API."};
  MailstoreApiOptions api;
  std::optional<long> licensed;
  std::string warning;
  std::string critical;
  bool debug = false;
  add_mailstore_api_options(app, api);
  app.value("-l,--licensed", licensed,
            "Number of licensed users; users are then counted with GetUsers (default: "
            "GetLicenseInformation's numbers, if the server offers it)",
            {1, 1e9});
  app.value("-w,--warning", warning,
            "WARNING when fewer than this many licences are free, or with %: when more than "
            "this percentage is used (e.g. 5 or 90%)");
  app.value("-c,--critical", critical, "CRITICAL, as -w (e.g. 1 or 98%)");
  app.flag("--DEBUG,--debug", debug, "List the users counted (with --licensed)");
  if (auto done = parse_plugin_options(app, argc, argv, service)) return *done;

  probes::MailstoreLicenseOptions options;
  auto endpoint = make_api_endpoint(api);
  if (!endpoint) return option_error(service, endpoint.failure().message);
  options.endpoint = *endpoint;
  if (licensed) {
    if (*licensed <= 0) return option_error(service, "--licensed must be a positive number");
    options.licensed = *licensed;
  }
  if (!warning.empty()) {
    options.warning = probes::parse_license_threshold(warning);
    if (!options.warning) {
      return option_error(service, "-w '" + warning +
                                       "': expected a number of free licences "
                                       "(5) or a percentage used (90%)");
    }
  }
  if (!critical.empty()) {
    options.critical = probes::parse_license_threshold(critical);
    if (!options.critical) {
      return option_error(service, "-c '" + critical +
                                       "': expected a number of free licences "
                                       "(1) or a percentage used (98%)");
    }
  }
  if (options.warning && options.critical &&
      options.warning->percent != options.critical->percent) {
    return option_error(service, "-w and -c must both be counts or both be percentages");
  }
  PluginOptions format_holder;
  format_holder.output_format = api.output_format;
  auto format = make_output_format(format_holder);
  if (!format) return option_error(service, format.failure().message);
  options.debug = debug;
  options.transcript = api.verbose > 0;
  auto call = plugin_call(
      service,
      [options](core::Deadline deadline) {
        return probes::probe_mailstore_license(options, deadline);
      },
      api.timeout, *format, options.debug || options.transcript);
  call.servers = {api.host};
  return call;
}

}  // namespace mailprobe::plugins
