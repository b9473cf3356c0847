#pragma once
// check_mailstore_license: warns before the number of MailStore users reaches the number
// of licensed users. The licensed number is --licensed N (users counted with GetUsers, as
// the original script did), or GetLicenseInformation's maxNamedUsers and namedUsers when
// the server offers that method.

#include <boost/asio/awaitable.hpp>
#include <optional>

#include "core/deadline.hpp"
#include "core/range.hpp"
#include "core/result.hpp"
#include "protocol/mailstore_api.hpp"

namespace mailprobe::probes {

// -w/-c of check_mailstore_license: "5" means WARNING when fewer than 5 licences are
// free; "90%" means WARNING when more than 90 percent of the licences are used.
struct LicenseThreshold {
  double value = 0;
  bool percent = false;
};

struct MailstoreLicenseOptions {
  protocol::mailstore::ApiEndpoint endpoint;
  std::optional<long long> licensed;  // --licensed
  std::optional<LicenseThreshold> warning;
  std::optional<LicenseThreshold> critical;
  bool debug = false;       // --DEBUG: list the users counted
  bool transcript = false;  // -v
};

// "5" or "90%"; nullopt if neither.
std::optional<LicenseThreshold> parse_license_threshold(std::string_view text);

// The verdict on `users` of `licensed`: fills state, summary and metrics (users, licensed,
// free or used percent). More users than licences is CRITICAL whatever the thresholds.
void judge_licenses(long long users, long long licensed, const MailstoreLicenseOptions& options,
                    core::ProbeResult& result);

boost::asio::awaitable<core::ProbeResult> probe_mailstore_license(MailstoreLicenseOptions options,
                                                                  core::Deadline deadline);

}  // namespace mailprobe::probes
