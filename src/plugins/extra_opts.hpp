#pragma once
// --extra-opts=[SECTION][@FILE], as monitoring-plugins defines it: the options of one
// section of an ini file are read as if they came first on the command line, so that
// passwords and shared options live in a root-readable file instead of the scheduler's
// object configuration (where every process listing shows them).
//
//   [check_smtp]            the section: by default the plugin's name
//   authpass=secret         --authpass=secret
//   H=mail.example.org      -H mail.example.org
//   starttls=               --starttls (an option without a value keeps its '=')
//
// FILE is by default $MP_CONFIG_FILE, else the first of monitoring-plugins' standard
// locations that exists (default_extra_opts_files). A value is taken as it is, '#' and all:
// a password may hold one.

#include <string>
#include <string_view>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::plugins {

struct IniOption {
  std::string key;
  std::string value;  // may be empty ("starttls=")
  int line = 0;
};

struct ExtraOpts {
  std::string file;
  std::string section;
  std::vector<IniOption> options;
};

// Reads the section that `locator` ([SECTION][@FILE]) names; `plugin` is the default
// section. A missing file or section, a line that is not KEY=VALUE, or a file over 1 MiB
// is a failure that names the file and line.
core::Outcome<ExtraOpts> read_extra_opts(std::string_view locator, const std::string& plugin);

// monitoring-plugins 2.3's search list, in order.
const std::vector<std::string>& default_extra_opts_files();

}  // namespace mailprobe::plugins
