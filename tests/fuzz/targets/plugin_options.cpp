// A plugin's command line as the shell, Nagios or the daemon's configuration hands it
// over: the plugin (chosen by the selector) and its arguments, separated by NUL bytes,
// through the same option parsing and validation as `mailprobe check_...` (short and long
// options, --opt=value, bundled flags, ranges, escapes, --extra-opts sections). Planning
// runs no check. With the selector's high bit, the first field is an --extra-opts ini
// file, read as the plugin's section.
#include <vector>

#include "fuzz_target.hpp"
#include "plugins/plugins.hpp"

MAILPROBE_FUZZ_TARGET(plugin_options) {
  using namespace mailprobe::plugins;
  static const char* plugins[] = {"check_smtp",
                                  "check_pop",
                                  "check_imap",
                                  "check_tcp",
                                  "check_mail_roundtrip",
                                  "check_mx",
                                  "check_mail_domain",
                                  "check_dnsbl",
                                  "check_mailq",
                                  "check_mailstore",
                                  "check_mailstore_license",
                                  "check_ssmtp"};
  auto [selector, text] = mailprobe::fuzz::select(data, size);
  std::string plugin = plugins[(selector & 0x7f) % std::size(plugins)];
  std::vector<std::string> arguments;
  if ((selector & 0x80) != 0) {
    auto nul = text.find('\0');
    const auto& ini = mailprobe::fuzz::write_scratch_file("extra-opts.ini", text.substr(0, nul));
    arguments.push_back("--extra-opts=@" + ini);
    text = nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
  }
  while (!text.empty() && arguments.size() < 64) {
    auto nul = text.find('\0');
    arguments.emplace_back(text.substr(0, nul));
    text = nul == std::string_view::npos ? std::string_view() : text.substr(nul + 1);
  }
  if (plugin == "check_mail_roundtrip") {
    // Planning a round trip creates its default secret beside the state file, wherever an
    // argument points; a secret of its own keeps the fuzzer from writing files as it goes.
    arguments.push_back("--secret-file");
    arguments.push_back(mailprobe::fuzz::write_scratch_file("roundtrip.secret", "fuzz-secret"));
  }
  auto plan = plan_plugin(plugin, arguments);
  static_cast<void>(plan);
  return 0;
}
