#pragma once
// Nagios/Icinga plugin output (monitoring-plugins guidelines): a summary line with
// perfdata after '|', then long output, one line per note and subcheck.

#include <string>

#include "core/result.hpp"

namespace mailprobe::output {

// "SMTP OK - 0.012s response time | time=0.012s;1;2;0" followed by long-output lines.
// Ends with a newline.
std::string render_nagios(const core::ProbeResult& result, bool with_transcript = false);

// The first line without perfdata: "SMTP OK - 0.012 sec. response time" (what a dashboard
// or a notification shows).
std::string render_status_line(const core::ProbeResult& result);

// One perfdata item: 'label'=value[UOM];[warn];[crit];[min];[max], trailing empties dropped.
std::string render_perfdata_item(const core::Metric& metric);

// Makes server-supplied text safe for a single plugin output line: control characters
// become '?', and '|' (which would start perfdata) becomes '/'.
std::string sanitize_line(std::string_view text);

}  // namespace mailprobe::output
