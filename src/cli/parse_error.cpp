#include <cstdio>

#include "cli/plugins.hpp"
#include "cli/run_plugin.hpp"

namespace mailprobe::cli {

std::optional<int> parse_plugin_options(OptionParser& parser, int argc, const char* const* argv,
                                        const std::string& service) {
  switch (parser.parse(argc, argv)) {
    case OptionParser::Result::run:
      return std::nullopt;
    case OptionParser::Result::help: {
      auto text = parser.help();
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    case OptionParser::Result::version:
      std::puts(version);
      return 0;
    case OptionParser::Result::error:
      break;
  }
  return option_error(service, parser.error() + " (see " + parser.program() + " --help)");
}

}  // namespace mailprobe::cli
