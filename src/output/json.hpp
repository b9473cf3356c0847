#pragma once
// The result as one JSON document (--output-format json, the daemon's API).

#include <boost/json/value.hpp>
#include <string>

#include "core/result.hpp"

namespace mailprobe::output {

boost::json::value to_json(const core::ProbeResult& result);

// Serialized, followed by a newline.
std::string render_json(const core::ProbeResult& result);

}  // namespace mailprobe::output
