#include "plugins/plugins.hpp"
#include "plugins/run_plugin.hpp"

namespace mailprobe::plugins {

std::optional<PluginStop> parse_plugin_options(OptionParser& parser, int argc,
                                               const char* const* argv,
                                               const std::string& service) {
  switch (parser.parse(argc, argv)) {
    case OptionParser::Result::run:
      return std::nullopt;
    case OptionParser::Result::help:
      return PluginStop{0, parser.help()};
    case OptionParser::Result::version:
      return PluginStop{0, std::string(version) + "\n"};
    case OptionParser::Result::error:
      break;
  }
  return option_error(service, parser.error() + " (see " + parser.program() + " --help)");
}

}  // namespace mailprobe::plugins
