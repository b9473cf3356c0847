// check_mailq: monitoring-plugins' options for the Postfix and Exim queues.

#include <filesystem>

#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"
#include "probes/mailq.hpp"

namespace mailprobe::plugins {

PluginPlan check_mailq(const std::string& name, int argc, const char* const* argv) {
  OptionParser app{name,
                   "Checks the number of messages in the local mail queue (Postfix or Exim)."};
  probes::MailqOptions mailq;
  std::optional<long> warning;
  std::optional<long> critical;
  std::string server;
  double timeout = 15;
  std::string output_format = "nagios";
  app.value("-w,--warning", warning, "WARNING from this many queued messages on", ranges::count);
  app.value("-c,--critical", critical, "CRITICAL from this many on", ranges::count);
  app.value("-W,--warning-domain", mailq.domain_warning,
            "WARNING when this many messages wait for one recipient domain (Postfix)",
            ranges::count);
  app.value("-C,--critical-domain", mailq.domain_critical,
            "CRITICAL when this many wait for one recipient domain (Postfix)", ranges::count);
  app.value("-M,--mailserver", server, "postfix or exim (default: the one installed)");
  app.value("-d,--configdir", mailq.config_dir, "Postfix configuration directory");
  app.value("--queue-command", mailq.command,
            "Program to ask instead of postqueue/exim (e.g. a sudo wrapper)");
  app.value("-t,--timeout", timeout, "Seconds before the check times out (default: 15)",
            ranges::timeout);
  app.value("--output-format", output_format, "nagios (default) or json");
  if (auto done = parse_plugin_options(app, argc, argv, "MAILQ")) return *done;
  if (!warning || !critical) return option_error("MAILQ", "-w and -c are required");
  if (*warning < 0 || *critical < 0) return option_error("MAILQ", "-w and -c must not be negative");
  if (*warning >= *critical) {
    return option_error("MAILQ", "-w " + std::to_string(*warning) + " must be less than -c " +
                                     std::to_string(*critical));
  }
  if (mailq.domain_warning && mailq.domain_critical &&
      *mailq.domain_warning >= *mailq.domain_critical) {
    return option_error("MAILQ", "-W must be less than -C");
  }
  if (server.empty()) {
    bool postfix = std::filesystem::exists("/usr/sbin/postqueue");
    bool exim =
        std::filesystem::exists("/usr/sbin/exim") || std::filesystem::exists("/usr/sbin/exim4");
    if (!postfix && !exim && mailq.command.empty()) {
      return option_error("MAILQ", "neither Postfix nor Exim is installed; use -M");
    }
    server = postfix ? "postfix" : "exim";
  }
  if (server == "postfix") {
    mailq.server = probes::MailServer::postfix;
  } else if (server == "exim") {
    mailq.server = probes::MailServer::exim;
    if (mailq.domain_warning || mailq.domain_critical) {
      return option_error("MAILQ", "-W/-C (per-domain counts) are supported for Postfix only");
    }
  } else {
    return option_error("MAILQ", "-M '" + server + "' is not supported (use postfix or exim)");
  }
  if (timeout <= 0) return option_error("MAILQ", "timeout must be positive");
  PluginOptions format_holder;
  format_holder.output_format = output_format;
  auto format = make_output_format(format_holder);
  if (!format) return option_error("MAILQ", format.failure().message);
  mailq.warning = *warning;
  mailq.critical = *critical;
  return plugin_call(
      "MAILQ", [mailq](core::Deadline deadline) { return probes::probe_mailq(mailq, deadline); },
      timeout, *format, false);
}

}  // namespace mailprobe::plugins
