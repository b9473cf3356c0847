#pragma once
// The result as one JSON document (--output-format json, the daemon's API).

#include <boost/json/value.hpp>
#include <string>

#include "core/result.hpp"

namespace mailprobe::output {

boost::json::value to_json(const core::ProbeResult& result);

// Serializes like boost::json::serialize, but writes numbers as people read them:
// 0.012 rather than 1.2E-2, 365 rather than 3.65E2 (at most 6 decimals).
std::string serialize_json(const boost::json::value& value);

// Serialized, followed by a newline.
std::string render_json(const core::ProbeResult& result);

}  // namespace mailprobe::output
