// The values of options and configuration: Nagios threshold ranges (-w/-c), numbers,
// durations, certificate days (-D), TLS modes, civil times and "since" windows, MailStore
// status filters, comparisons and license thresholds, Windows time zone names, service
// states, /probe targets and scrape timeouts, ISO 8601 times of the API, and a peer
// daemon's /api/v1/checks answer.
#include "core/civil_time.hpp"
#include "core/duration_text.hpp"
#include "core/range.hpp"
#include "core/state.hpp"
#include "core/windows_zones.hpp"
#include "daemon/api.hpp"
#include "daemon/peers.hpp"
#include "daemon/probe_endpoint.hpp"
#include "fuzz_target.hpp"
#include "plugins/plugin_options.hpp"
#include "probes/mailstore_filter.hpp"
#include "probes/mailstore_license.hpp"

MAILPROBE_FUZZ_TARGET(option_values) {
  using namespace mailprobe;
  auto [selector, text] = fuzz::select(data, size);
  switch (selector % 8) {
    case 0: {
      auto range = core::Range::parse(text);
      if (auto* parsed = std::get_if<core::Range>(&range)) {
        static_cast<void>(parsed->alerts(42.5));
        static_cast<void>(parsed->violation(-1e300));
      }
      auto comma = text.find(',');
      static_cast<void>(core::Thresholds::parse(
          text.substr(0, comma), comma == std::string_view::npos ? "" : text.substr(comma + 1)));
      break;
    }
    case 1:
      static_cast<void>(core::parse_number(text));
      static_cast<void>(core::parse_duration(text));
      static_cast<void>(core::duration_milliseconds(text));
      static_cast<void>(core::parse_state(text));
      break;
    case 2:
      static_cast<void>(plugins::parse_certificate_days(std::string(text)));
      static_cast<void>(plugins::parse_tls_mode(std::string(text), "--tls"));
      break;
    case 3: {
      if (auto time = core::parse_civil_time(text))
        static_cast<void>(core::format_civil_time(*time));
      auto since = core::parse_since(text);
      if (auto* parsed = std::get_if<core::Since>(&since)) {
        static_cast<void>(core::describe_since(*parsed));
        static_cast<void>(core::subtract(core::CivilTime{2026, 11, 22, 12, 0, 0}, *parsed));
      }
      break;
    }
    case 4:
      static_cast<void>(probes::parse_status_filter(text));
      static_cast<void>(probes::parse_compare(text));
      static_cast<void>(probes::parse_license_threshold(text));
      static_cast<void>(core::windows_zone_to_iana(text));
      break;
    case 5:
      static_cast<void>(daemon::parse_probe_target(text));
      static_cast<void>(daemon::probe_budget_seconds(10, text));
      break;
    case 6:
      static_cast<void>(daemon::parse_iso8601_ms(text));
      break;
    default:
      static_cast<void>(daemon::parse_peer_view(text));
      break;
  }
  return 0;
}
