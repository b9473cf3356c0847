#include "protocol/imap_mailbox.hpp"

#include <charconv>

namespace mailprobe::protocol {

namespace {

std::optional<std::uint32_t> number_after(std::string_view text, std::string_view key) {
  auto at = text.find(key);
  if (at == std::string_view::npos) return std::nullopt;
  auto digits = text.substr(at + key.size());
  std::uint32_t value = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc{} || ptr == digits.data()) return std::nullopt;
  return value;
}

core::Failure completion(std::string_view what, const ImapResponse& done) {
  return {"mailbox", core::FailureKind::rejected,
          std::string(what) + ": " + done.status + " " + done.text};
}

}  // namespace

std::vector<std::uint32_t> parse_search_response(std::string_view text) {
  std::vector<std::uint32_t> uids;
  if (text.rfind("SEARCH", 0) != 0) return uids;
  text.remove_prefix(6);
  while (!text.empty()) {
    while (!text.empty() && text.front() == ' ')
      text.remove_prefix(1);
    std::uint32_t value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || ptr == text.data()) break;
    uids.push_back(value);
    text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  }
  return uids;
}

bool parse_fetch_response(const ImapResponse& response, FetchedHeaders& out) {
  // "7 FETCH (UID 12 INTERNALDATE "22-Nov-2026 12:00:00 +0000" BODY[HEADER.FIELDS (...)] {58}"
  const auto& text = response.text;
  if (text.find(" FETCH (") == std::string::npos) return false;
  auto uid = number_after(text, "UID ");
  if (!uid) return false;
  out.uid = *uid;
  auto date = text.find("INTERNALDATE \"");
  if (date != std::string::npos) {
    auto start = date + 14;
    auto end = text.find('"', start);
    if (end != std::string::npos) out.internal_date = text.substr(start, end - start);
  }
  out.headers = response.literals.empty() ? std::string() : response.literals.front();
  return true;
}

std::string uid_set(const std::vector<std::uint32_t>& uids) {
  std::string set;
  for (auto uid : uids)
    set += (set.empty() ? "" : ",") + std::to_string(uid);
  return set;
}

asio::awaitable<core::Outcome<MailboxStatus>> select_mailbox(ImapClient& imap, std::string mailbox,
                                                             bool read_only) {
  std::vector<ImapArgument> arguments;
  arguments.push_back({std::move(mailbox), true, false});
  auto exchange = co_await imap.command(read_only ? "EXAMINE" : "SELECT", std::move(arguments),
                                        {"mailbox", "the reply to SELECT"});
  if (!exchange) co_return exchange.failure();
  if (!exchange->done.ok()) co_return completion("SELECT failed", exchange->done);
  MailboxStatus status;
  for (const auto& response : exchange->untagged) {
    const auto& text = response.text;
    if (text.size() > 7 && text.compare(text.size() - 7, 7, " EXISTS") == 0) {
      std::from_chars(text.data(), text.data() + text.size(), status.exists);
    }
    if (auto next = number_after(response.code, "UIDNEXT ")) status.uid_next = *next;
    if (auto validity = number_after(response.code, "UIDVALIDITY "))
      status.uid_validity = *validity;
  }
  co_return status;
}

asio::awaitable<core::Outcome<std::vector<std::uint32_t>>> search_header(ImapClient& imap,
                                                                         std::string field,
                                                                         std::uint32_t first_uid) {
  std::vector<ImapArgument> arguments;
  arguments.push_back({"UID", false, false});
  arguments.push_back({std::to_string(first_uid) + ":*", false, false});
  arguments.push_back({"HEADER", false, false});
  arguments.push_back({std::move(field), true, false});
  arguments.push_back({std::string(), true, false});
  auto exchange =
      co_await imap.command("UID SEARCH", std::move(arguments), {"search", "the reply to SEARCH"});
  if (!exchange) co_return exchange.failure();
  if (!exchange->done.ok()) co_return completion("SEARCH failed", exchange->done);
  std::vector<std::uint32_t> uids;
  for (const auto& response : exchange->untagged) {
    for (auto uid : parse_search_response(response.text)) {
      // "n:*" includes the highest UID even when it is below n (RFC 9051 section 9).
      if (uid >= first_uid) uids.push_back(uid);
    }
  }
  co_return uids;
}

asio::awaitable<core::Outcome<std::vector<FetchedHeaders>>> fetch_headers(
    ImapClient& imap, const std::vector<std::uint32_t>& uids, std::string fields) {
  std::vector<FetchedHeaders> messages;
  if (uids.empty()) co_return messages;
  std::vector<ImapArgument> arguments;
  arguments.push_back({uid_set(uids), false, false});
  arguments.push_back(
      {"(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (" + fields + ")])", false, false});
  auto exchange =
      co_await imap.command("UID FETCH", std::move(arguments), {"fetch", "the reply to FETCH"});
  if (!exchange) co_return exchange.failure();
  if (!exchange->done.ok()) co_return completion("FETCH failed", exchange->done);
  for (const auto& response : exchange->untagged) {
    FetchedHeaders message;
    if (parse_fetch_response(response, message)) messages.push_back(std::move(message));
  }
  co_return messages;
}

asio::awaitable<core::Outcome<bool>> delete_messages(ImapClient& imap,
                                                     const std::vector<std::uint32_t>& uids,
                                                     bool uidplus) {
  if (uids.empty()) co_return true;
  std::vector<ImapArgument> store;
  store.push_back({uid_set(uids), false, false});
  store.push_back({"+FLAGS.SILENT", false, false});
  store.push_back({"(\\Deleted)", false, false});
  auto stored =
      co_await imap.command("UID STORE", std::move(store), {"delete", "the reply to STORE"});
  if (!stored) co_return stored.failure();
  if (!stored->done.ok()) co_return completion("STORE \\Deleted failed", stored->done);
  if (!uidplus) co_return false;
  std::vector<ImapArgument> expunge;
  expunge.push_back({uid_set(uids), false, false});
  auto expunged =
      co_await imap.command("UID EXPUNGE", std::move(expunge), {"delete", "the reply to EXPUNGE"});
  if (!expunged) co_return expunged.failure();
  if (!expunged->done.ok()) co_return completion("UID EXPUNGE failed", expunged->done);
  co_return true;
}

}  // namespace mailprobe::protocol
