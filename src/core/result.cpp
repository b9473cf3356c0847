#include "core/result.hpp"

#include <utility>

namespace mailprobe::core {

State Subcheck::overall() const {
  State result = state;
  for (const auto& child : children)
    result = worse(result, child.overall());
  return result;
}

State ProbeResult::overall() const {
  State result = state;
  for (const auto& subcheck : subchecks)
    result = worse(result, subcheck.overall());
  return result;
}

void ProbeResult::fail(Failure failure_value, State failure_state) {
  state = worse(state, failure_state);
  summary = failure_value.message;
  failure = std::move(failure_value);
}

void ProbeResult::add_timing(std::string phase, double seconds) {
  timings.push_back(PhaseTiming{std::move(phase), seconds});
}

const PhaseTiming* ProbeResult::timing(std::string_view phase) const {
  for (const auto& t : timings) {
    if (t.phase == phase) return &t;
  }
  return nullptr;
}

const Metric* ProbeResult::metric(std::string_view name) const {
  for (const auto& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

}  // namespace mailprobe::core
