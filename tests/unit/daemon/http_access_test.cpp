#include "daemon/http_access.hpp"

#include <gtest/gtest.h>

#include "protocol/sasl.hpp"

namespace mailprobe::daemon {
namespace {

HttpRequest request_with(const std::string& target, const std::string& authorization) {
  HttpRequest request{http::verb::get, target, 11};
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  return request;
}

TEST(HttpAccess, BasicAuth) {
  HttpAccess open;
  EXPECT_TRUE(authorized(open, request_with("/api/v1/checks", "")));

  HttpAccess access;
  access.users = {{"admin", "pa:ss wörd"}, {"prometheus", "scrape"}};
  auto basic = [](const std::string& credentials) {
    return "Basic " + protocol::base64_encode(credentials);
  };
  EXPECT_FALSE(authorized(access, request_with("/api/v1/checks", "")));
  EXPECT_TRUE(authorized(access, request_with("/healthz", ""))) << "tells nothing, stays open";
  EXPECT_FALSE(authorized(access, request_with("/healthz/../metrics", "")));
  EXPECT_TRUE(authorized(access, request_with("/metrics", basic("prometheus:scrape"))));
  EXPECT_TRUE(authorized(access, request_with("/", basic("admin:pa:ss wörd"))))
      << "a password may contain ':'";
  EXPECT_FALSE(authorized(access, request_with("/", basic("admin:pa:ss"))));
  EXPECT_FALSE(authorized(access, request_with("/", basic("admin:"))));
  EXPECT_FALSE(authorized(access, request_with("/", basic("nobody:scrape"))));
  EXPECT_FALSE(authorized(access, request_with("/", basic("prometheus"))));
  EXPECT_FALSE(authorized(access, request_with("/", "Basic !!!")));
  EXPECT_FALSE(authorized(access, request_with("/", "Bearer scrape")));

  auto answer = unauthorized(request_with("/", ""));
  EXPECT_EQ(answer.result(), http::status::unauthorized);
  EXPECT_EQ(answer[http::field::www_authenticate], R"(Basic realm="mailprobe", charset="UTF-8")");
}

}  // namespace
}  // namespace mailprobe::daemon
