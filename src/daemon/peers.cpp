#include "daemon/peers.hpp"

#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "plugins/plugins.hpp"
#include "protocol/http_client.hpp"

namespace mailprobe::daemon {

namespace json = boost::json;
namespace http = boost::beast::http;

core::Outcome<PeerView> parse_peer_view(std::string_view body) {
  auto bad = [](const std::string& what) -> core::Outcome<PeerView> {
    return core::Failure{"peer", core::FailureKind::protocol, what};
  };
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  if (ec) return bad("the answer is not JSON: " + ec.message());
  const auto* root = value.if_object();
  const auto* location = root != nullptr ? root->if_contains("location") : nullptr;
  const auto* checks = root != nullptr ? root->if_contains("checks") : nullptr;
  if (location == nullptr || !location->is_string() || checks == nullptr || !checks->is_array()) {
    return bad("the answer has no \"location\" and \"checks\" (is it a mailprobe daemon?)");
  }
  PeerView view;
  view.location = std::string(location->get_string());
  for (const auto& item : checks->get_array()) {
    const auto* check = item.if_object();
    const auto* name = check != nullptr ? check->if_contains("name") : nullptr;
    if (name == nullptr || !name->is_string()) return bad("a check without a \"name\"");
    PeerCheck seen;
    if (const auto* hard = check->if_contains("hard_state"); hard != nullptr && hard->is_string()) {
      // PENDING: not run yet there, so it confirms nothing.
      seen.down = hard->get_string() != "OK" && hard->get_string() != "PENDING";
    }
    if (const auto* notified = check->if_contains("notified");
        notified != nullptr && notified->is_bool()) {
      seen.notified = notified->get_bool();
    }
    view.checks[std::string(name->get_string())] = seen;
  }
  return view;
}

boost::asio::awaitable<core::Outcome<PeerView>> fetch_peer_view(
    boost::asio::any_io_executor executor, const PeerConfig& peer, double timeout_seconds) {
  auto path = peer.target.target;
  while (!path.empty() && path.back() == '/')
    path.pop_back();
  auto query = path.find('?');
  if (query != std::string::npos) path.erase(query);
  protocol::HttpRequest request(http::verb::get, path + "/api/v1/checks", 11);
  request.set(http::field::user_agent, plugins::version);
  request.set(http::field::accept, "application/json");
  if (!peer.authorization.empty()) request.set(http::field::authorization, peer.authorization);
  auto deadline = core::Deadline::after_seconds(timeout_seconds);
  protocol::HttpLimits limits;
  limits.max_body = std::size_t{64} * 1024 * 1024;  // thousands of checks with their metrics
  auto answer =
      co_await protocol::exchange_once(executor, protocol::http_endpoint(peer.target, peer.tls),
                                       deadline, std::move(request), "the peer's checks", limits);
  if (!answer) co_return answer.failure();
  if (answer->status != 200) {
    co_return core::Failure{"peer", core::FailureKind::rejected,
                            protocol::status_line(answer->status, answer->reason)};
  }
  co_return parse_peer_view(answer->body);
}

}  // namespace mailprobe::daemon
