#pragma once
// check_mailstore: the archiving jobs that ended in a period (GetWorkerResults of the
// MailStore Server Administration API), counted or their archived emails summed, judged
// by --compare against -w/-c.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>

#include "core/civil_time.hpp"
#include "core/deadline.hpp"
#include "core/result.hpp"
#include "probes/mailstore_filter.hpp"
#include "protocol/mailstore_api.hpp"

namespace mailprobe::probes {

struct MailstoreJobsOptions {
  protocol::mailstore::ApiEndpoint endpoint;
  // The period: since:XY, or an absolute start and end.
  std::optional<core::Since> since;
  std::string start;
  std::string end;
  std::string timezone = "$Local";
  JobFilter filter;
  bool count_emails = false;  // --search emails: sum itemsArchived
  CompareThresholds thresholds;
  bool debug = false;       // --DEBUG: list the matching jobs
  bool transcript = false;  // -v: the HTTP conversation
};

boost::asio::awaitable<core::ProbeResult> probe_mailstore_jobs(MailstoreJobsOptions options,
                                                               core::Deadline deadline);

// The notes every MailStore probe adds about how the certificate was trusted.
void note_trust(const protocol::mailstore::ApiClient& client,
                const protocol::mailstore::ApiEndpoint& endpoint, core::ProbeResult& result);

}  // namespace mailprobe::probes
