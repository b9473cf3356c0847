#include "output/json.hpp"

#include <boost/json/serialize.hpp>
#include <cmath>

#include "core/format.hpp"

namespace mailprobe::output {

namespace json = boost::json;

namespace {

json::value subcheck_json(const core::Subcheck& subcheck) {
  json::array children;
  for (const auto& child : subcheck.children)
    children.push_back(subcheck_json(child));
  return json::object{{"state", core::state_name(subcheck.overall())},
                      {"summary", subcheck.summary},
                      {"subchecks", std::move(children)}};
}

}  // namespace

json::value to_json(const core::ProbeResult& result) {
  json::object out;
  auto state = result.overall();
  out["service"] = result.service;
  out["state"] = core::state_name(state);
  out["exit_code"] = core::exit_code(state);
  out["summary"] = result.summary;
  out["headline"] = result.headline();

  json::array subchecks;
  for (const auto& subcheck : result.subchecks)
    subchecks.push_back(subcheck_json(subcheck));
  out["subchecks"] = std::move(subchecks);

  json::array metrics;
  for (const auto& metric : result.metrics) {
    json::object m{{"name", metric.name}, {"value", metric.value}, {"unit", metric.unit}};
    if (metric.warning) m["warning"] = metric.warning->text();
    if (metric.critical) m["critical"] = metric.critical->text();
    if (metric.min) m["min"] = *metric.min;
    if (metric.max) m["max"] = *metric.max;
    metrics.push_back(std::move(m));
  }
  out["metrics"] = std::move(metrics);

  json::array timings;
  for (const auto& timing : result.timings) {
    timings.push_back(json::object{{"phase", timing.phase}, {"seconds", timing.seconds}});
  }
  out["timings"] = std::move(timings);

  if (result.failure) {
    out["failure"] = json::object{{"phase", result.failure->phase},
                                  {"kind", core::failure_kind_name(result.failure->kind)},
                                  {"message", result.failure->message}};
  } else {
    out["failure"] = nullptr;
  }
  json::array notes;
  for (const auto& note : result.notes)
    notes.push_back(json::string(note));
  out["notes"] = std::move(notes);
  if (!result.transcript.empty()) {
    json::array transcript;
    for (const auto& line : result.transcript)
      transcript.push_back(json::string(line));
    out["transcript"] = std::move(transcript);
  }
  return out;
}

std::string serialize_json(const json::value& value) {
  switch (value.kind()) {
    case json::kind::object: {
      std::string out = "{";
      bool first = true;
      for (const auto& [key, member] : value.get_object()) {
        if (!first) out += ',';
        first = false;
        out += json::serialize(json::string_view(key)) + ":" + serialize_json(member);
      }
      return out + "}";
    }
    case json::kind::array: {
      std::string out = "[";
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first) out += ',';
        first = false;
        out += serialize_json(element);
      }
      return out + "]";
    }
    case json::kind::double_: {
      double number = value.get_double();
      return std::isfinite(number) ? core::format_number(number) : "null";
    }
    default:
      return json::serialize(value);
  }
}

std::string render_json(const core::ProbeResult& result) {
  return serialize_json(to_json(result)) + "\n";
}

}  // namespace mailprobe::output
