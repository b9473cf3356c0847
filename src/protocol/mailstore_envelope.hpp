#pragma once
// The MailStore Server Administration API's answers, without I/O: the UTF-8 byte order
// mark the server puts before its JSON, the envelope every method answers in
//   {error, token, statusVersion, statusCode, percentProgress, statusText, result, logOutput}
// and the results of the methods mailprobe calls. Also the form encoding of arguments.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/outcome.hpp"

namespace mailprobe::protocol::mailstore {

// {message, details} of a failed call.
struct ApiError {
  std::string message;
  std::string details;
};

struct Envelope {
  // "succeeded", "failed", "running" (poll /api/get-status with the token), "cancelled".
  std::string status_code;
  std::optional<std::string> token;
  long long status_version = 0;
  std::optional<ApiError> error;
  std::string status_text;
  boost::json::value result;
  std::string log_output;

  bool running() const { return status_code == "running"; }
};

// The body without a leading UTF-8 byte order mark (EF BB BF), if it has one.
std::string_view strip_bom(std::string_view body);

// Parses a body as JSON (BOM allowed, nesting bounded). Failures are phase "api", kind
// protocol, and quote the start of what arrived.
core::Outcome<boost::json::value> parse_json(std::string_view body);

// Parses an answer of /api/invoke/<Method>, /api/get-status or /api/cancel-async.
core::Outcome<Envelope> parse_envelope(std::string_view body);

// A one-line description of a failed call: "message (details)", details cut to one line.
std::string describe_error(const ApiError& error);

// application/x-www-form-urlencoded: name=value pairs joined by '&', percent-encoded;
// arguments with an empty value are left out, as the API's own clients do.
using Arguments = std::vector<std::pair<std::string, std::string>>;
std::string form_encode(const Arguments& arguments);

// One item of GetWorkerResults: an archiving job that ended. Arguments name it profileID,
// answers profileId.
struct WorkerResult {
  long long id = 0;
  std::string user_name;
  std::optional<long long> profile_id;
  std::string profile_name;
  std::string result;  // succeeded, failed, cancelled, disconnected, threadAbort, ...
  long long items_archived = 0;
  std::string start_time;     // civil time in the zone the call named
  std::string complete_time;  // "
  std::string machine_name;
};

// The result of GetWorkerResults: an array of items (null counts as empty).
core::Outcome<std::vector<WorkerResult>> parse_worker_results(const boost::json::value& result);

// The result of GetUsers / GetUserList: an array with one object per user.
core::Outcome<std::vector<std::string>> parse_user_names(const boost::json::value& result);

// The result of GetLicenseInformation.
struct LicenseInformation {
  long long named_users = 0;
  long long max_named_users = 0;
};
core::Outcome<LicenseInformation> parse_license_information(const boost::json::value& result);

// The method names of /api/get-metadata, which answers a bare array of
// {name, args: [...]} (some versions wrap it in an envelope; both are accepted).
core::Outcome<std::vector<std::string>> parse_method_names(const boost::json::value& metadata);

}  // namespace mailprobe::protocol::mailstore
