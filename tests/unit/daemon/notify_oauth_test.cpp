// OAuth 2.0 in the daemon's configuration: the email channel's `oauth:` block (the plugins'
// --oauth-* settings as keys, checked by the same rules, errors naming the YAML path), and
// the checks' --oauth-* options with the daemon's memory cache, which has no use for
// --oauth-cache.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "daemon/config.hpp"
#include "plugins/oauth_options.hpp"
#include "probes/oauth_memory_cache.hpp"

namespace mailprobe::daemon {
namespace {

class NotifyOAuth : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mailprobe-notify-oauth-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    secret_ = (dir_ / "client.secret").string();
    std::ofstream(secret_) << "s3cret-value\n";
  }
  void TearDown() override {
    plugins::share_token_cache(nullptr);
    std::filesystem::remove_all(dir_);
  }
  core::Outcome<Config> load(const std::string& text) {
    auto path = (dir_ / "mailprobe.yaml").string();
    std::ofstream(path) << text;
    return load_config(path);
  }
  // The email channel with `oauth` (a flow mapping) and `extra` keys.
  std::string email(const std::string& oauth, const std::string& extra = "user: probe@lab.test, ") {
    return "checks:\n  - {name: imap, plugin: check_imap, args: [-H, localhost]}\n"
           "notifications:\n  email: {relay: 'localhost:2587', " +
           extra + "from: probe@lab.test, to: [oncall@lab.test],\n    oauth: " + oauth + "}\n";
  }
  std::string error_of(const std::string& text) {
    auto config = load(text);
    return config ? "(loaded)" : config.failure().message;
  }
  std::string good() const {
    return "{token_url: 'https://localhost:2030/t/oauth2/v2.0/token', client_id: app, "
           "client_secret_file: " +
           secret_ + "}";
  }
  std::filesystem::path dir_;
  std::string secret_;
};

TEST_F(NotifyOAuth, EmailLogsInWithAToken) {
  plugins::share_token_cache(std::make_shared<probes::MemoryTokenCache>());
  auto config = load(email(good()));
  ASSERT_TRUE(config) << config.failure().message;
  const auto& channel = *config->notifications.email;
  ASSERT_TRUE(channel.oauth);
  ASSERT_TRUE(channel.submission.credentials);
  EXPECT_TRUE(channel.submission.credentials->token);
  EXPECT_EQ(channel.submission.credentials->user, "probe@lab.test");
  const auto& identity = channel.oauth->identity();
  EXPECT_EQ(identity.client_secret, "s3cret-value");
  EXPECT_EQ(identity.subject, "probe@lab.test");
  EXPECT_EQ(identity.scope, "");  // generic provider: no default scope
  // An untrusted token endpoint's failure says how to trust it in this file, not on a
  // command line.
  EXPECT_EQ(identity.trust_hint, "(trust it with oauth.ca_file)");
  // The Microsoft defaults, as for the plugins.
  auto microsoft = load(email(
      "{tenant: contoso, client_id: app, client_secret_env: PATH, ca_file: " + secret_ + "}"));
  // ca_file is no PEM of CAs: refused, naming the key.
  ASSERT_FALSE(microsoft);
  EXPECT_NE(microsoft.failure().message.find(":5: notifications.email.oauth: ca_file: "),
            std::string::npos)
      << microsoft.failure().message;
  auto tenant = load(email("{tenant: contoso, client_id: app, client_secret_env: PATH}"));
  ASSERT_TRUE(tenant) << tenant.failure().message;
  EXPECT_EQ(tenant->notifications.email->oauth->identity().token_url,
            "https://login.microsoftonline.com/contoso/oauth2/v2.0/token");
  EXPECT_EQ(tenant->notifications.email->oauth->identity().scope,
            "https://outlook.office365.com/.default");
}

TEST_F(NotifyOAuth, ErrorsNameTheYamlPath) {
  auto error = [&](const std::string& oauth, const std::string& extra = "user: probe@lab.test, ") {
    return error_of(email(oauth, extra));
  };
  EXPECT_NE(error("{client_id: app, key: /k.pem, client_secret_env: PATH, token_url: "
                  "'https://x/t'}")
                .find(":5: notifications.email.oauth: key needs certificate"),
            std::string::npos);
  EXPECT_NE(error("{client_id: app, token_url: 'https://x/t'}")
                .find("notifications.email.oauth: OAuth needs a credential: client_secret_file, "
                      "certificate, refresh_token_file or service_account"),
            std::string::npos);
  EXPECT_NE(error("{client_id: app, client_secret_env: PATH, token_url: 'http://x/t'}")
                .find("notifications.email.oauth: token_url 'http://x/…': the token endpoint "
                      "must be https://"),
            std::string::npos);
  EXPECT_NE(error("{provider: azure, client_id: app, client_secret_env: PATH}")
                .find("notifications.email.oauth: provider 'azure': use microsoft, google or "
                      "generic"),
            std::string::npos);
  EXPECT_NE(error("{client_id: app, client_secret_env: MAILPROBE_NO_SUCH_SECRET, token_url: "
                  "'https://x/t'}")
                .find("notifications.email.oauth: client_secret_env: environment variable "
                      "MAILPROBE_NO_SUCH_SECRET is not set"),
            std::string::npos);
  EXPECT_NE(error("{client_id: app, client_secret_file: /nonexistent/secret, token_url: "
                  "'https://x/t'}")
                .find("notifications.email.oauth: client_secret_file: cannot read secret file "
                      "'/nonexistent/secret'"),
            std::string::npos);
  EXPECT_NE(error("{client_id: app, client_secret_env: PATH, token_url: 'https://x/t', "
                  "cache: /tmp/c.json}")
                .find("notifications.email.oauth.cache: unknown key"),
            std::string::npos);
  EXPECT_NE(error(good(), "")
                .find("notifications.email.user: missing (the mailbox the token "
                      "logs in as)"),
            std::string::npos);
  EXPECT_NE(error(good(), "user: probe@lab.test, password_env: PATH, ")
                .find("notifications.email.oauth: not with password_file or password_env"),
            std::string::npos);
  EXPECT_NE(error(good(), "user: probe@lab.test, tls: none, ")
                .find("notifications.email.tls: a login needs tls"),
            std::string::npos);
  EXPECT_NE(error("[a, b]").find("notifications.email.oauth: must be a mapping"),
            std::string::npos);
}

// A check's --oauth-* command line in the daemon: the memory cache, and --oauth-cache
// refused with a message that says why.
TEST_F(NotifyOAuth, ChecksUseTheMemoryCacheNotAFile) {
  auto check = [&](const std::string& extra) {
    return "checks:\n  - name: imap\n    plugin: check_imap\n    args: [-H, localhost, --user, "
           "probe@lab.test, --oauth-token-url, 'https://localhost:2030/t', --oauth-client-id, "
           "app, --oauth-client-secret-file, " +
           secret_ + extra + "]\n";
  };
  EXPECT_TRUE(load(check(", --oauth-cache, /tmp/oauth-tokens.json")));  // a plugin's way
  plugins::share_token_cache(std::make_shared<probes::MemoryTokenCache>());
  EXPECT_TRUE(load(check("")));
  auto refused = error_of(check(", --oauth-cache, /tmp/oauth-tokens.json"));
  EXPECT_NE(refused.find("--oauth-cache is for plugins: the daemon keeps its tokens in memory"),
            std::string::npos)
      << refused;
}

}  // namespace
}  // namespace mailprobe::daemon
