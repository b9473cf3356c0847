#include "protocol/mailstore_envelope.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <climits>
#include <cmath>

#include "core/format.hpp"

namespace mailprobe::protocol::mailstore {

namespace json = boost::json;

namespace {
core::Failure protocol_failure(std::string message) {
  return {"api", core::FailureKind::protocol, std::move(message)};
}

using core::excerpt;

std::optional<long long> integer(const json::value& value) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64() && value.get_uint64() <= static_cast<std::uint64_t>(LLONG_MAX))
    return static_cast<long long>(value.get_uint64());
  if (value.is_double()) {
    double d = value.get_double();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
      return static_cast<long long>(d);
  }
  return std::nullopt;
}

// A string member, "" when absent or null; nullopt when present with another type.
std::optional<std::string> string_member(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::string();
  if (!value->is_string()) return std::nullopt;
  return std::string(value->get_string());
}
}  // namespace

std::string_view strip_bom(std::string_view body) {
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (body.substr(0, bom.size()) == bom) body.remove_prefix(bom.size());
  return body;
}

core::Outcome<json::value> parse_json(std::string_view body) {
  auto text = strip_bom(body);
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return protocol_failure("empty answer where JSON was expected");
  }
  json::parse_options options;
  options.max_depth = 64;
  boost::system::error_code ec;
  auto value = json::parse(json::string_view(text.data(), text.size()), ec, {}, options);
  if (ec) {
    return protocol_failure("malformed JSON (" + ec.message() + "): '" + excerpt(text) + "'");
  }
  return value;
}

core::Outcome<Envelope> parse_envelope(std::string_view body) {
  auto parsed = parse_json(body);
  if (!parsed) return parsed.failure();
  if (!parsed->is_object()) {
    return protocol_failure("answer is not a JSON object: '" + excerpt(strip_bom(body)) + "'");
  }
  const auto& object = parsed->get_object();
  Envelope envelope;
  auto status = string_member(object, "statusCode");
  if (!status || status->empty()) {
    return protocol_failure("answer has no statusCode: '" + excerpt(strip_bom(body)) + "'");
  }
  envelope.status_code = *status;
  if (const auto* token = object.if_contains("token"); token != nullptr && !token->is_null()) {
    if (!token->is_string()) return protocol_failure("token is not a string");
    envelope.token = std::string(token->get_string());
  }
  if (const auto* version = object.if_contains("statusVersion");
      version != nullptr && !version->is_null()) {
    auto number = integer(*version);
    if (!number) return protocol_failure("statusVersion is not a whole number");
    envelope.status_version = *number;
  }
  if (const auto* error = object.if_contains("error"); error != nullptr && !error->is_null()) {
    ApiError api_error;
    if (error->is_object()) {
      auto message = string_member(error->get_object(), "message");
      auto details = string_member(error->get_object(), "details");
      api_error.message = message.value_or("");
      api_error.details = details.value_or("");
    } else if (error->is_string()) {
      api_error.message = std::string(error->get_string());
    }
    if (api_error.message.empty()) api_error.message = "the server reported an error";
    envelope.error = std::move(api_error);
  }
  envelope.status_text = string_member(object, "statusText").value_or("");
  envelope.log_output = string_member(object, "logOutput").value_or("");
  if (const auto* result = object.if_contains("result")) envelope.result = *result;
  if (envelope.running() && !envelope.token) {
    return protocol_failure("answer says running but carries no token");
  }
  return envelope;
}

std::string describe_error(const ApiError& error) {
  std::string text = error.message;
  if (!error.details.empty()) {
    // Details are often a .NET stack trace: its first line says enough.
    auto line = error.details.substr(0, error.details.find_first_of("\r\n"));
    if (line.size() > 200) line = line.substr(0, 200) + "...";
    if (line != error.message) text += " (" + line + ")";
  }
  return text;
}

std::string form_encode(const Arguments& arguments) {
  std::string body;
  for (const auto& [name, value] : arguments) {
    if (value.empty()) continue;
    if (!body.empty()) body += '&';
    body += boost::urls::encode(name, boost::urls::unreserved_chars);
    body += '=';
    body += boost::urls::encode(value, boost::urls::unreserved_chars);
  }
  return body;
}

core::Outcome<std::vector<WorkerResult>> parse_worker_results(const json::value& result) {
  std::vector<WorkerResult> items;
  if (result.is_null()) return items;
  if (!result.is_array()) return protocol_failure("GetWorkerResults: result is not an array");
  items.reserve(result.get_array().size());
  for (const auto& element : result.get_array()) {
    if (!element.is_object()) return protocol_failure("GetWorkerResults: an item is not an object");
    const auto& object = element.get_object();
    WorkerResult item;
    if (const auto* id = object.if_contains("id")) item.id = integer(*id).value_or(0);
    if (const auto* profile = object.if_contains("profileId"); profile && !profile->is_null()) {
      item.profile_id = integer(*profile);
    }
    if (const auto* archived = object.if_contains("itemsArchived");
        archived != nullptr && !archived->is_null()) {
      auto count = integer(*archived);
      if (!count || *count < 0) {
        return protocol_failure("GetWorkerResults: itemsArchived of job " +
                                std::to_string(item.id) + " is not a count");
      }
      item.items_archived = *count;
    }
    auto text = [&](std::string_view key, std::string& out) {
      auto value = string_member(object, key);
      if (!value) return false;
      out = std::move(*value);
      return true;
    };
    if (!text("result", item.result) || !text("userName", item.user_name) ||
        !text("profileName", item.profile_name) || !text("startTime", item.start_time) ||
        !text("completeTime", item.complete_time) || !text("machineName", item.machine_name)) {
      return protocol_failure("GetWorkerResults: job " + std::to_string(item.id) +
                              " has a field of the wrong type");
    }
    items.push_back(std::move(item));
  }
  return items;
}

core::Outcome<std::vector<std::string>> parse_user_names(const json::value& result) {
  std::vector<std::string> names;
  if (result.is_null()) return names;
  if (!result.is_array()) return protocol_failure("GetUsers: result is not an array");
  for (const auto& element : result.get_array()) {
    if (element.is_string()) {
      names.emplace_back(element.get_string());
    } else if (element.is_object()) {
      names.push_back(string_member(element.get_object(), "userName").value_or(""));
    } else {
      return protocol_failure("GetUsers: an item is neither an object nor a name");
    }
  }
  return names;
}

core::Outcome<LicenseInformation> parse_license_information(const json::value& result) {
  if (!result.is_object())
    return protocol_failure("GetLicenseInformation: result is not an object");
  const auto& object = result.get_object();
  LicenseInformation license;
  auto count = [&](std::string_view key, long long& out) {
    const auto* value = object.if_contains(key);
    if (value == nullptr) return false;
    auto number = integer(*value);
    if (!number || *number < 0) return false;
    out = *number;
    return true;
  };
  if (!count("namedUsers", license.named_users) ||
      !count("maxNamedUsers", license.max_named_users)) {
    return protocol_failure(
        "GetLicenseInformation: namedUsers or maxNamedUsers missing or not a count");
  }
  return license;
}

core::Outcome<std::vector<std::string>> parse_method_names(const json::value& metadata) {
  const json::value* list = &metadata;
  if (metadata.is_object()) {
    if (const auto* result = metadata.get_object().if_contains("result")) list = result;
  }
  if (!list->is_array()) return protocol_failure("get-metadata: answer is not a list of methods");
  std::vector<std::string> names;
  for (const auto& element : list->get_array()) {
    if (!element.is_object()) continue;
    auto name = string_member(element.get_object(), "name");
    if (name && !name->empty()) names.push_back(std::move(*name));
  }
  return names;
}

}  // namespace mailprobe::protocol::mailstore
