#include "probes/mailstore_filter.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "core/format.hpp"

namespace mailprobe::probes {

namespace {
bool same_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  return std::string(text);
}
}  // namespace

const std::vector<std::string_view>& worker_statuses();

namespace {
std::string unknown_status(std::string_view text, const std::string& name) {
  std::string list;
  for (auto status : worker_statuses()) {
    if (!list.empty()) list += ", ";
    list += status;
  }
  return "--status '" + std::string(text) + "': '" + name + "' is not one of " + list +
         " (# negates, #all is every status)";
}
}  // namespace

const std::vector<std::string_view>& worker_statuses() {
  static const std::vector<std::string_view> statuses = [] {
    std::vector<std::string_view> list;
    list.emplace_back("succeeded");
    list.emplace_back("failed");
    list.emplace_back("cancelled");
    list.emplace_back("disconnected");
    list.emplace_back("threadAbort");
    list.emplace_back("completedWithWarnings");
    list.emplace_back("completedWithErrors");
    return list;
  }();
  return statuses;
}

bool StatusFilter::matches(std::string_view result) const {
  if (all) return true;
  bool listed = std::any_of(statuses.begin(), statuses.end(), [&](const std::string& status) {
    return same_ignoring_case(status, result);
  });
  return negated ? !listed : listed;
}

std::string StatusFilter::describe() const {
  if (all) return "any status";
  std::string text;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    if (i > 0) text += i + 1 == statuses.size() ? " or " : ", ";
    text += statuses[i];
  }
  return negated ? "not " + text : text;
}

std::variant<StatusFilter, std::string> parse_status_filter(std::string_view text) {
  StatusFilter filter;
  std::string_view rest = text;
  if (!rest.empty() && rest.front() == '#') {
    filter.negated = true;
    rest.remove_prefix(1);
  }
  if (same_ignoring_case(trimmed(rest), "all")) {
    // "#all" is the seed's spelling; "all" means the same.
    filter.all = true;
    filter.negated = false;
    return filter;
  }
  while (true) {
    auto comma = rest.find(',');
    auto name = trimmed(rest.substr(0, comma));
    const auto& known = worker_statuses();
    auto found = std::find_if(known.begin(), known.end(), [&](std::string_view status) {
      return same_ignoring_case(status, name);
    });
    if (found == known.end()) return unknown_status(text, name);
    filter.statuses.emplace_back(*found);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return filter;
}

bool JobFilter::matches(const protocol::mailstore::WorkerResult& job) const {
  if (!status.matches(job.result)) return false;
  if (profile_id && job.profile_id != profile_id) return false;
  if (!profile_name.empty() && job.profile_name != profile_name) return false;
  if (!machine_name.empty() && !same_ignoring_case(job.machine_name, machine_name)) return false;
  if (!user_name.empty() && !same_ignoring_case(job.user_name, user_name)) return false;
  return true;
}

std::string JobFilter::describe() const {
  std::string text;
  if (profile_id) text += " of profile " + std::to_string(*profile_id);
  if (!profile_name.empty()) text += " of profile '" + profile_name + "'";
  if (!machine_name.empty()) text += " on machine " + machine_name;
  if (!user_name.empty()) text += " of user " + user_name;
  return text;
}

void set_profile(JobFilter& filter, const std::string& profile) {
  filter.profile_id.reset();
  filter.profile_name.clear();
  long long id = 0;
  auto [ptr, ec] = std::from_chars(profile.data(), profile.data() + profile.size(), id);
  if (!profile.empty() && ec == std::errc{} && ptr == profile.data() + profile.size() && id >= 0) {
    filter.profile_id = id;
  } else {
    filter.profile_name = profile;
  }
}

std::optional<Compare> parse_compare(std::string_view text) {
  if (text == "lt") return Compare::lt;
  if (text == "le") return Compare::le;
  if (text == "eq") return Compare::eq;
  if (text == "ge") return Compare::ge;
  if (text == "gt") return Compare::gt;
  return std::nullopt;
}

std::string_view compare_name(Compare op) {
  switch (op) {
    case Compare::lt:
      return "lt";
    case Compare::le:
      return "le";
    case Compare::eq:
      return "eq";
    case Compare::ge:
      return "ge";
    case Compare::gt:
      return "gt";
  }
  return "le";
}

std::string_view compare_symbol(Compare op) {
  switch (op) {
    case Compare::lt:
      return "<";
    case Compare::le:
      return "<=";
    case Compare::eq:
      return "==";
    case Compare::ge:
      return ">=";
    case Compare::gt:
      return ">";
  }
  return "<=";
}

bool compare(double value, Compare op, double threshold) {
  switch (op) {
    case Compare::lt:
      return value < threshold;
    case Compare::le:
      return value <= threshold;
    case Compare::eq:
      return value == threshold;
    case Compare::ge:
      return value >= threshold;
    case Compare::gt:
      return value > threshold;
  }
  return false;
}

core::Range compare_range(Compare op, double threshold) {
  auto number = core::format_number(threshold);
  std::string text;
  switch (op) {
    case Compare::lt:
      text = number + ":";
      break;
    case Compare::le:
      text = "@~:" + number;
      break;
    case Compare::eq:
      text = "@" + number + ":" + number;
      break;
    case Compare::ge:
      text = "@" + number + ":";
      break;
    case Compare::gt:
      text = "~:" + number;
      break;
  }
  auto parsed = core::Range::parse(text);
  return std::get<core::Range>(parsed);
}

core::State CompareThresholds::evaluate(double value) const {
  if (critical && compare(value, op, *critical)) return core::State::critical;
  if (warning && compare(value, op, *warning)) return core::State::warning;
  return core::State::ok;
}

}  // namespace mailprobe::probes
