// The plugins by name: what argv[0] dispatch and the daemon's configuration refer to.

#include <array>

#include "plugins/plugins.hpp"

namespace mailprobe::plugins {

namespace {
struct Entry {
  const char* name;
  Plugin plan;
};

constexpr std::array<Entry, 14> table{{
    {"check_smtp", check_smtp},
    {"check_ssmtp", check_tcp_family},
    {"check_pop", check_tcp_family},
    {"check_spop", check_tcp_family},
    {"check_imap", check_tcp_family},
    {"check_simap", check_tcp_family},
    {"check_tcp", check_tcp_family},
    {"check_mailq", check_mailq},
    {"check_mailstore", check_mailstore},
    {"check_mailstore_license", check_mailstore_license},
    {"check_mail_roundtrip", check_roundtrip},
    {"check_mx", check_mx},
    {"check_mail_domain", check_mail_domain},
    {"check_dnsbl", check_dnsbl},
}};
}  // namespace

Plugin find_plugin(const std::string& name) {
  for (const auto& entry : table) {
    if (name == entry.name) return entry.plan;
  }
  return nullptr;
}

PluginPlan plan_plugin(const std::string& name, const std::vector<std::string>& arguments) {
  auto plugin = find_plugin(name);
  if (plugin == nullptr) return PluginStop{3, "unknown plugin '" + name + "'\n"};
  std::vector<const char*> argv;
  argv.reserve(arguments.size() + 2);
  argv.push_back(name.c_str());
  for (const auto& argument : arguments)
    argv.push_back(argument.c_str());
  argv.push_back(nullptr);
  return plugin(name, static_cast<int>(arguments.size() + 1), argv.data());
}

}  // namespace mailprobe::plugins
