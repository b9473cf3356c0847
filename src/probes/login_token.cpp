#include "probes/login_token.hpp"

namespace mailprobe::probes {

LoginToken::LoginToken(std::shared_ptr<TokenSource> source, core::ProbeResult& result,
                       std::string phase, bool transcript, core::Deadline deadline)
    : source_(std::move(source)),
      result_(result),
      phase_(std::move(phase)),
      transcript_(transcript),
      deadline_(deadline) {}

boost::asio::awaitable<core::Status> LoginToken::fill(protocol::Credentials& credentials) {
  if (!source_) co_return core::success();
  if (!token_) {
    auto got =
        co_await obtain_login_token(*source_, credentials, result_, deadline_, transcript_, phase_);
    if (!got) co_return got.failure();
    seconds_ += got->seconds;
    token_ = std::move(*got);
  }
  credentials.secret = token_->value;
  credentials.token = true;
  ++uses_;
  co_return core::success();
}

boost::asio::awaitable<core::Outcome<bool>> LoginToken::renew_after(
    const core::Failure& failure, protocol::Credentials& credentials, bool worked_before) {
  // A token fetched for this login and refused at once is refused for good: another one
  // would be too.
  if (!source_ || !token_ || renewed_ || failure.kind != core::FailureKind::rejected ||
      !(token_->cached || uses_ > 1 || worked_before)) {
    co_return false;
  }
  renewed_ = true;
  auto renewed = co_await renew_login_token(*source_, *token_, credentials, result_, deadline_,
                                            transcript_, phase_);
  if (!renewed) co_return renewed.failure();
  seconds_ += renewed->seconds;
  token_ = std::move(*renewed);
  uses_ = 1;
  co_return true;
}

}  // namespace mailprobe::probes
