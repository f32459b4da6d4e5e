#include "service/server/config.h"

#include <fstream>

#include "gtest/gtest.h"

namespace tgrpc::service {
namespace {

TEST(ConfigTest, DefaultsRun) {
  absl::StatusOr<Config> config = ParseConfig({"tgrpcd"}, {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:50051");
  EXPECT_EQ(config->telegram, "production");
  EXPECT_EQ(config->db, "./tgrpc-state/tgrpc.db");
  EXPECT_EQ(config->key_file, "./tgrpc-state/master.key");
}

TEST(ConfigTest, FlagsOverrideEnvironmentWhichOverridesTheFile) {
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/config.json";
  std::ofstream(path) << R"({"listen": "127.0.0.1:1", "api_id": 5, "io_threads": 3,
                            "tokens": {"team-a": "aaaaaaaaaaaaaaaaaaaa"}})";
  absl::StatusOr<Config> config =
      ParseConfig({"tgrpcd", "--config=" + path, "--listen=127.0.0.1:3", "--token",
                   "team-b:bbbbbbbbbbbbbbbbbbbb"},
                  {"TGRPC_LISTEN=127.0.0.1:2", "TGRPC_API_ID=7", "TGRPC_TEST=1", "PATH=/bin"});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "127.0.0.1:3");
  EXPECT_EQ(config->api_id, 7);
  EXPECT_EQ(config->io_threads, 3);
  EXPECT_EQ(config->tokens.at("aaaaaaaaaaaaaaaaaaaa"), "team-a");
  EXPECT_EQ(config->tokens.at("bbbbbbbbbbbbbbbbbbbb"), "team-b");
  // Secrets never appear in the description that is logged.
  EXPECT_EQ(config->Describe().find("aaaaaaaaaaaaaaaa"), std::string::npos);
}

// Kubernetes mounts settings and secrets as separate files: every --config is read, in order,
// a later file's keys over an earlier one's.
TEST(ConfigTest, RepeatedConfigFilesApplyInOrder) {
  const std::string dir = std::string(getenv("TEST_TMPDIR"));
  std::ofstream(dir + "/settings.json") << R"({"listen": "0.0.0.0:50051", "api_id": 1,
                                               "instance": "tgrpcd-0"})";
  std::ofstream(dir + "/secret.json") << R"({"api_id": 12345, "api_hash": "abcdef"})";
  absl::StatusOr<Config> config = ParseConfig(
      {"tgrpcd", "--config=" + dir + "/settings.json", "--config", dir + "/secret.json"}, {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->listen, "0.0.0.0:50051");
  EXPECT_EQ(config->api_id, 12345);
  EXPECT_EQ(config->api_hash, "abcdef");
  EXPECT_EQ(config->instance, "tgrpcd-0");
}

TEST(ConfigTest, DatabasePasswordsNeverReachTheLog) {
  EXPECT_EQ(RedactedDb("postgresql://tgrpc:s3cret@db:5432/tgrpc"),
            "postgresql://tgrpc:***@db:5432/tgrpc");
  EXPECT_EQ(RedactedDb("host=db password=s3cret dbname=tgrpc"),
            "host=db password=*** dbname=tgrpc");
  EXPECT_EQ(RedactedDb("./state/tgrpc.db"), "./state/tgrpc.db");
  EXPECT_TRUE(IsPostgresDb("postgresql://tgrpc@db/tgrpc"));
  EXPECT_TRUE(IsPostgresDb("host=/run/postgresql dbname=tgrpc"));
  EXPECT_FALSE(IsPostgresDb("./state/tgrpc.db"));
  absl::StatusOr<Config> config =
      ParseConfig({"tgrpcd", "--db=postgresql://tgrpc:s3cret@db/tgrpc"}, {});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->Describe().find("s3cret"), std::string::npos);
}

TEST(ConfigTest, BadInputIsAClearError) {
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"tgrpcd", "--nope=1"}, "unknown setting \"nope\""},
      {{"tgrpcd", "--io_threads=0"}, "io_threads"},
      {{"tgrpcd", "--io_threads=many"}, "io_threads"},
      {{"tgrpcd", "--flood_wait_threshold=soon"}, "flood_wait_threshold"},
      {{"tgrpcd", "--pfs_key_lifetime=5s"}, "between 1m and 720h"},
      {{"tgrpcd", "--mtproxy=proxy.example:443"}, "host:port:secret"},
      {{"tgrpcd", "--mtproxy=proxy.example:0:0123456789abcdef0123456789abcdef"}, "1-65535"},
      {{"tgrpcd", "--mtproxy=proxy.example:443:0123"}, "mtproxy: "},
      {{"tgrpcd", "--mtproxy=proxy.example:443:ee0123456789abcdef0123456789abcdef6578616d706c65"},
       "fake-TLS"},
      {{"tgrpcd", "--mtproxy=p.example:443:0123456789abcdef0123456789abcdef", "--transport=full"},
       "obfuscatable"},
      {{"tgrpcd", "--telegram=mars"}, "production, test or sandbox"},
      {{"tgrpcd", "--telegram=sandbox"}, "sandbox_dcs"},
      {{"tgrpcd", "--token=short"}, "tenant"},
      {{"tgrpcd", "--tls_cert=a.pem"}, "tls_key"},
      {{"tgrpcd", "stray"}, "unexpected argument"},
      {{"tgrpcd", "--config=/nonexistent/tgrpc.json"}, "cannot read"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Config> config = ParseConfig(c.args, {});
    ASSERT_FALSE(config.ok()) << c.args.back();
    EXPECT_NE(config.status().message().find(c.message), std::string::npos)
        << config.status().message();
  }
  Config config;
  EXPECT_FALSE(ApplyConfigJson("[1, 2]", config).ok());
  EXPECT_FALSE(ApplyConfigJson("{\"listen\": {}}", config).ok());
  EXPECT_FALSE(ApplyConfigJson("{\"tokens\": {\"a\": 1}}", config).ok());
  EXPECT_FALSE(ApplyConfigJson("{not json", config).ok());
}

TEST(ConfigTest, MtProxySpecs) {
  absl::StatusOr<MtProxy> plain =
      ParseMtProxy("proxy.example:8443:0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->host, "proxy.example");
  EXPECT_EQ(plain->port, 8443);
  EXPECT_EQ(plain->secret.key.size(), 16u);
  EXPECT_FALSE(plain->secret.padded);
  absl::StatusOr<MtProxy> padded = ParseMtProxy("[::1]:443:dd0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(padded.ok()) << padded.status();
  EXPECT_EQ(padded->host, "[::1]");
  EXPECT_TRUE(padded->secret.padded);
}

}  // namespace
}  // namespace tgrpc::service
