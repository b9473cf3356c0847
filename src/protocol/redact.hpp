#pragma once
// Keeps secrets out of transcripts of free-form conversations (check_tcp's -s strings).

#include <string>
#include <string_view>

namespace mailprobe::protocol {

// Replaces the secret parts of what a client sends: POP3 "PASS x", IMAP "tag LOGIN user x",
// SASL initial responses of AUTH/AUTHENTICATE, and every line after such a command (SASL
// continuation responses). Works line by line on `data`; returns it redacted.
std::string redact_client_data(std::string_view data);

}  // namespace mailprobe::protocol
