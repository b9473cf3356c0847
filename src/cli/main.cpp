// mailprobe: one binary, many names. Called as check_smtp, check_imap, ... (symlinks) it
// is that plugin; called as mailprobe it takes a subcommand: `mailprobe check smtp ...`.

#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "cli/reflect.hpp"
#include "daemon/service.hpp"
#include "plugins/plugins.hpp"

namespace {

using mailprobe::plugins::find_plugin;

std::string base_name(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash != nullptr ? slash + 1 : path;
}

int usage(FILE* out) {
  std::fputs(
      "Usage: mailprobe check <kind> [options]   run one check as a Nagios plugin\n"
      "       mailprobe serve -c FILE [--check-config]  the daemon: schedules, history, dashboard\n"
      "       mailprobe reflect [options] < message   answer a round-trip probe\n"
      "       mailprobe --version\n"
      "\n"
      "Kinds: smtp ssmtp pop spop imap simap tcp mailq mailstore mailstore-license roundtrip mx\n"
      "       domain dnsbl\n"
      "Each is also installed as a plugin name, a symlink to mailprobe: check_<kind>, with\n"
      "check_mailstore_license, check_mail_roundtrip and check_mail_domain for those with a\n"
      "dash or a longer name; `mailprobe check <kind> --help` lists its options.\n",
      out);
  return out == stdout ? 0 : 3;
}

// A plugin run ends here: its output flushed, the process leaves without running static
// destructors and OpenSSL's exit handlers, which only touch memory the kernel frees anyway
// (a plugin starts and ends thousands of times a minute under a scheduler). If standard
// output cannot be written, the exit code says UNKNOWN as monitoring-plugins' do.
[[noreturn]] void end_plugin(int code) {
  bool written = std::fflush(stdout) == 0 && std::ferror(stdout) == 0;
  std::fflush(stderr);
  _exit(written ? code : 3);
}

}  // namespace

int main(int argc, char** argv) {
  // The only other thread a plugin starts is a name lookup; one malloc arena for all saves
  // the lookup thread from mapping an arena of its own (syscalls are a plugin's cost).
  mallopt(M_ARENA_MAX, 1);
  std::string called = base_name(argc > 0 ? argv[0] : "mailprobe");
  if (auto plugin = find_plugin(called))
    end_plugin(mailprobe::plugins::execute(plugin(called, argc, argv)));

  if (argc < 2) return usage(stderr);
  std::string command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") return usage(stdout);
  if (command == "--version" || command == "-V") {
    std::puts(mailprobe::plugins::version);
    return 0;
  }
  if (command == "serve") return mailprobe::daemon::serve_command(argc - 1, argv + 1);
  if (command == "reflect") return mailprobe::cli::reflect("mailprobe reflect", argc - 1, argv + 1);
  if (command == "check") {
    if (argc < 3) return usage(stderr);
    if (std::strcmp(argv[2], "--help") == 0 || std::strcmp(argv[2], "-h") == 0) {
      return usage(stdout);
    }
    std::string name = std::string("check_") + argv[2];
    // "mail-roundtrip" is check_mail_roundtrip, "mailstore-license" check_mailstore_license.
    for (auto& c : name)
      if (c == '-') c = '_';
    if (name == "check_roundtrip") name = "check_mail_roundtrip";
    if (name == "check_domain") name = "check_mail_domain";
    if (auto plugin = find_plugin(name))
      end_plugin(mailprobe::plugins::execute(plugin(name, argc - 2, argv + 2)));
    std::fprintf(stdout,
                 "UNKNOWN - unknown check kind '%s' (kinds: smtp ssmtp pop spop imap "
                 "simap tcp mailq mailstore mailstore-license roundtrip mx domain dnsbl)\n",
                 argv[2]);
    return 3;
  }
  std::fprintf(stdout, "UNKNOWN - unknown command '%s' (try: mailprobe --help)\n", argv[1]);
  return 3;
}
