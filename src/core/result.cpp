#include "core/result.hpp"

#include <utility>

namespace mailprobe::core {

std::string target_metric_name(std::string_view host, std::string_view address,
                               std::string_view series) {
  std::string name(host);
  name += '[';
  name += address;
  name += "]_";
  name += series;
  return name;
}

std::optional<TargetMetricName> parse_target_metric_name(std::string_view name) {
  // A host name holds no '[' and an address no ']' (both come from DNS as text).
  auto open = name.find('[');
  if (open == 0 || open == std::string_view::npos) return std::nullopt;
  auto close = name.find("]_", open);
  if (close == std::string_view::npos || close == open + 1 || close + 2 == name.size()) {
    return std::nullopt;
  }
  auto address = name.substr(open + 1, close - open - 1);
  if (address.find_first_of("[]") != std::string_view::npos) return std::nullopt;
  return TargetMetricName{std::string(name.substr(0, open)), std::string(address),
                          std::string(name.substr(close + 2))};
}

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

namespace {
// The most specific parts that carry `state`: a part whose own state is `state` and whose
// children do not explain it further.
void collect_reasons(const Subcheck& subcheck, State state, std::vector<std::string>& out) {
  std::size_t before = out.size();
  for (const auto& child : subcheck.children)
    collect_reasons(child, state, out);
  if (out.size() == before && subcheck.state == state && !subcheck.summary.empty()) {
    out.push_back(subcheck.summary);
  }
}
}  // namespace

std::string ProbeResult::headline() const {
  auto worst = overall();
  if (worst == State::ok) return summary;
  std::vector<std::string> parts;
  if (state == worst && !summary.empty()) parts.push_back(summary);
  for (const auto& subcheck : subchecks)
    collect_reasons(subcheck, worst, parts);
  if (state != worst && !summary.empty()) parts.push_back(summary);
  // Joined by " / ", not "; ": Nagios turns a ';' of plugin output into ':' (it is the
  // field separator of its external commands), which would make "(-w); 0.001 sec" read
  // "(-w): 0.001 sec".
  std::string line;
  for (const auto& part : parts)
    line += (line.empty() ? "" : " / ") + part;
  return line;
}

void ProbeResult::fail(Failure failure_value, State failure_state) {
  state = worse(state, failure_state);
  summary = failure_value.message;
  failure = std::move(failure_value);
}

void ProbeResult::add_timing(std::string phase, double seconds) {
  timings.push_back(PhaseTiming{std::move(phase), seconds});
}

}  // namespace mailprobe::core
