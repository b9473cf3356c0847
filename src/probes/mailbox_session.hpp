#pragma once
// Opening a logged-in mailbox session, IMAP or POP3, with TLS as configured: what the
// round trip's receiving half and the reflector's IMAP mode share.

#include <boost/asio/awaitable.hpp>

#include "core/outcome.hpp"
#include "net/connection.hpp"
#include "probes/common.hpp"
#include "probes/login_token.hpp"
#include "protocol/imap_client.hpp"
#include "protocol/pop3_client.hpp"
#include "protocol/sasl.hpp"

namespace mailprobe::probes {

// What a mailbox session may read in all: it reads the header of every probe (with POP3, of
// every message) in the mailbox and lives as long as the round trip waits, so it gets more
// than a service check's connection; one answer is still bounded by the client.
constexpr std::size_t mailbox_read_limit = std::size_t{64} << 20;

// Connects, reads the greeting, does STARTTLS or implicit TLS, and logs in: IMAP LOGIN, or
// with an active `token` (fetched before connecting) AUTHENTICATE OAUTHBEARER when offered,
// else XOAUTH2; a refused token is renewed once (LoginToken::renew_after).
boost::asio::awaitable<core::Status> open_imap(net::Connection& connection,
                                               protocol::ImapClient& imap, const Target& server,
                                               const TlsPolicy& tls,
                                               protocol::Credentials credentials,
                                               LoginToken* token = nullptr);

// The same for POP3: USER/PASS, or AUTH OAUTHBEARER or XOAUTH2 with a token.
boost::asio::awaitable<core::Status> open_pop3(net::Connection& connection,
                                               protocol::Pop3Client& pop3, const Target& server,
                                               const TlsPolicy& tls,
                                               protocol::Credentials credentials,
                                               LoginToken* token = nullptr);

}  // namespace mailprobe::probes
