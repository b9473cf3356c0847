#pragma once
// Which archiving jobs check_mailstore counts and how the count is judged, without I/O:
// --status (with # to negate, #all for every status), --profile, --machinename,
// --filteruser, and --compare with -w/-c.

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/range.hpp"
#include "core/state.hpp"
#include "protocol/mailstore_envelope.hpp"

namespace mailprobe::probes {

// The results a job can end with, as GetWorkerResults spells them.
const std::vector<std::string_view>& worker_statuses();

struct StatusFilter {
  std::vector<std::string> statuses;  // canonical spelling
  bool negated = false;               // '#': every status but these
  bool all = false;                   // #all

  bool matches(std::string_view result) const;
  // "succeeded", "not succeeded", "any status", "failed or cancelled".
  std::string describe() const;
};

// "succeeded", "#succeeded", "#all", "failed,cancelled" (case-insensitive). The error
// lists the statuses there are.
std::variant<StatusFilter, std::string> parse_status_filter(std::string_view text);

struct JobFilter {
  StatusFilter status;
  // --profile: an id (digits) or a profile name.
  std::optional<long long> profile_id;
  std::string profile_name;
  std::string machine_name;  // case-insensitive, as Windows machine names are
  std::string user_name;     // case-insensitive, as MailStore user names are

  bool matches(const protocol::mailstore::WorkerResult& job) const;
  // " of profile 7 on machine VMTECH by user admin", or "".
  std::string describe() const;
};

// Sets profile_id or profile_name from --profile.
void set_profile(JobFilter& filter, const std::string& profile);

// --compare: the state is raised when `value <op> threshold`.
enum class Compare { lt, le, eq, ge, gt };

std::optional<Compare> parse_compare(std::string_view text);
std::string_view compare_name(Compare op);    // "lt"
std::string_view compare_symbol(Compare op);  // "<"
bool compare(double value, Compare op, double threshold);
// The Nagios range that alerts exactly when `value <op> threshold`, for perfdata:
// lt 20 -> "20:", le 20 -> "@~:20", eq 20 -> "@20:20", ge 20 -> "@20:", gt 20 -> "~:20".
core::Range compare_range(Compare op, double threshold);

struct CompareThresholds {
  Compare op = Compare::le;
  std::optional<double> warning;
  std::optional<double> critical;

  core::State evaluate(double value) const;
};

}  // namespace mailprobe::probes
