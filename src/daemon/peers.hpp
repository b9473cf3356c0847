#pragma once
// What the daemon's peers (the same checks at other locations) see: read from their
// /api/v1/checks, for the agreement of locations before a notification.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <map>
#include <string>
#include <string_view>

#include "core/outcome.hpp"
#include "daemon/notify_config.hpp"

namespace mailprobe::daemon {

struct PeerCheck {
  bool down = false;      // its last hard state is a problem
  bool notified = false;  // that peer has notified the problem
};

struct PeerView {
  std::string location;
  std::map<std::string, PeerCheck> checks;  // by check name
};

// Reads a /api/v1/checks answer; a failure names what is missing or malformed.
core::Outcome<PeerView> parse_peer_view(std::string_view body);

// GETs PEER/api/v1/checks within `timeout_seconds`.
boost::asio::awaitable<core::Outcome<PeerView>> fetch_peer_view(
    boost::asio::any_io_executor executor, const PeerConfig& peer, double timeout_seconds);

}  // namespace mailprobe::daemon
