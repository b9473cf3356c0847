#pragma once
// Name resolution under the probe's deadline.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "core/deadline.hpp"
#include "core/outcome.hpp"

namespace mailprobe::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// -4 / -6 of the plugins: which address family to use.
enum class AddressFamily { any, ipv4, ipv6 };

// Resolves `host` to endpoints on `port`. IP literals are taken as they are. A lookup that
// outlives the deadline is abandoned (getaddrinfo cannot be cancelled, so it runs on its
// own thread and its late answer is dropped): the probe never waits past its deadline.
asio::awaitable<core::Outcome<std::vector<tcp::endpoint>>> resolve(std::string host,
                                                                   std::uint16_t port,
                                                                   AddressFamily family,
                                                                   core::Deadline deadline);

// True when `host` is an IPv4 or IPv6 literal (no lookup, no SNI).
bool is_ip_literal(std::string_view host);

// "127.0.0.1:25", "[::1]:25".
std::string endpoint_text(const tcp::endpoint& endpoint);

}  // namespace mailprobe::net
