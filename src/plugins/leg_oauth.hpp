#pragma once
// OAuth 2.0 for the commands with two logins: the round trip (its sending and its receiving
// leg) and the reflector (its SMTP and its IMAP session). --oauth-* apply to both legs;
// --LEG-oauth-* (the same suffixes: --smtp-oauth-client-id, --receive-oauth-scope) give one
// leg a value of its own, for a leg that logs in as another application or mailbox.

#include <memory>
#include <string>

#include "core/outcome.hpp"
#include "plugins/oauth_options.hpp"
#include "plugins/plugin_options.hpp"

namespace mailprobe::plugins {

// What the token is for: a mail server's login (IMAP, POP3, SMTP AUTH) or Microsoft Graph.
enum class TokenAudience { mail, graph };

// The scope a Graph leg asks for when none is given: the application's own Graph
// permissions (".default"), or a user's delegated Mail.ReadWrite and Mail.Send (with a
// refresh token).
std::string default_graph_scope(bool delegated);

// A leg's options: its own (--LEG-oauth-*) over the shared ones (--oauth-*), each on its
// own, but the credential as a whole: a leg's own client secret, certificate (and key),
// refresh token or service account replaces every shared one.
OAuthOptions leg_oauth_options(const OAuthOptions& shared, const OAuthOptions& own);

// The token source of the leg --PREFIX-* (`server`) that logs in as `user`, or null when it
// does not log in with OAuth. It does with --PREFIX-oauth-*, and with --oauth-* when it logs
// in at all (has a user). A password for the same leg is an error, and so is a Google
// token for Graph. Errors start with `leg` ("the sending leg: --oauth-client-id is
// required: ...").
core::Outcome<std::shared_ptr<probes::TokenSource>> leg_token_source(
    const OAuthOptions& shared, const OAuthOptions& own, const ServerOptions& server,
    const std::string& user, const std::string& prefix, const std::string& leg,
    TokenAudience audience);

}  // namespace mailprobe::plugins
