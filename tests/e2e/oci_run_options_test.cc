// meshwasm run's plugin-source options, as Istio's WasmPlugin and agent treat them: --sha256
// (the manifest digest for oci://, the file's sha256 for a local module), --pull-policy
// IfNotPresent|Always with the module cache, and the YAML fields sha256 / image_pull_policy.
// Real processes: Debian's docker-registry, meshwasm image push, meshwasm run, curl.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <thread>

#include "oci_test_support.h"

namespace meshwasm::e2e {
namespace {

namespace fs = std::filesystem;

CommandResult curl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"curl", "-sS", "--max-time", "10",
                                   "-o",   "-",   "-w",         "\n%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv, 20);
}

class OciRunOptions : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* wasmDir = std::getenv("MESHWASM_WASM_DIR");
    module_ = std::string(wasmDir ? wasmDir : "") + "/header_auth.wasm";
    if (!fs::exists(module_)) GTEST_SKIP() << "no " << module_ << " (guest modules not built)";
    moduleSha_ = sha256OfFile(module_);
    registry_ = std::make_unique<LocalRegistry>(work_.path());
    ASSERT_TRUE(registry_->ready()) << registry_->log();
    CommandResult build = runCommand({meshwasmBinary(), "image", "build", module_, "--format",
                                      "oci", "-o", work_.path() + "/img"});
    ASSERT_EQ(build.exitCode, 0) << build.err;
    cache_ = work_.path() + "/cache";
  }

  // Pushes the image under `tag`; returns the manifest digest ("sha256:...").
  std::string push(const std::string& tag) {
    std::string reference = registry_->host() + "/plugins/header-auth:" + tag;
    CommandResult pushed =
        runCommand({meshwasmBinary(), "image", "push", work_.path() + "/img", reference});
    EXPECT_EQ(pushed.exitCode, 0) << pushed.err;
    size_t at = pushed.out.find("sha256:");
    if (at == std::string::npos || pushed.out.size() < at + 71) return "";
    return pushed.out.substr(at, 71);
  }
  std::string url(const std::string& tag) const {
    return "oci://" + registry_->host() + "/plugins/header-auth:" + tag;
  }

  // `raw`: `extra` is the command up to and including "run" (e.g. behind `env K=V`).
  std::vector<std::string> runArgs(const std::vector<std::string>& extra, bool raw = false) {
    listen_ = "127.0.0.1:" + std::to_string(freeLoopbackPort());
    admin_ = "127.0.0.1:" + std::to_string(freeLoopbackPort());
    std::vector<std::string> options = {"--listen", listen_, "--admin", admin_, "--workers", "1",
                                        "--no-access-log"};
    if (raw) {
      std::vector<std::string> argv = extra;
      argv.insert(argv.end(), options.begin(), options.end());
      return argv;
    }
    std::vector<std::string> argv = {meshwasmBinary(), "run"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }

  // Starts meshwasm run with `extra` arguments and checks the tutorial's deny path is served.
  void expectServes(const std::vector<std::string>& extra, bool raw = false) {
    std::string log = work_.path() + "/gateway-" + std::to_string(++starts_) + ".log";
    Background gateway(runArgs(extra, raw), log);
    bool ready = false;
    for (int i = 0; i < 300 && !ready; ++i) {
      ready = curl({"http://" + admin_ + "/ready"}).out.ends_with("\n200");
      if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ready) << readText(log);
    EXPECT_EQ(curl({"http://" + listen_ + "/get"}).out,
              "Forbidden by ASM Wasm Plugin, cpp version\n\n403");
    CommandResult teapot = curl({"-H", "allow: true", "http://" + listen_ + "/status/418"});
    EXPECT_TRUE(teapot.out.ends_with("\n418")) << teapot.out;
    gateway.stop();
  }

  // Runs meshwasm run expecting it to refuse to start.
  CommandResult refuse(const std::vector<std::string>& extra) {
    return runCommand(runArgs(extra), 60);
  }

  TempDir work_;
  std::unique_ptr<LocalRegistry> registry_;
  std::string module_, moduleSha_, cache_, listen_, admin_;
  int starts_ = 0;
};

TEST_F(OciRunOptions, Sha256EqualToTheManifestDigestServes) {
  std::string digest = push("v1");
  ASSERT_FALSE(digest.empty());
  ASSERT_NE(digest.substr(7), moduleSha_);  // the OCI artifact's manifest is not the module
  expectServes({"--plugin", url("v1"), "--sha256", digest.substr(7), "--cache-dir", cache_});
  EXPECT_EQ(listDir(cache_ + "/modules"), std::vector<std::string>{digest.substr(7) + ".wasm"});
}

TEST_F(OciRunOptions, WrongSha256RefusesToStartWithExitOne) {
  std::string digest = push("v1");
  ASSERT_FALSE(digest.empty());
  // The usual mistake: the module's sha256 where Istio wants the manifest digest.
  CommandResult r =
      refuse({"--plugin", url("v1"), "--sha256", moduleSha_, "--cache-dir", cache_});
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("meshwasm run: plugin 'header-auth' (" + url("v1") + "): pull failed: " +
                       registry_->host() + "/plugins/header-auth:v1: manifest digest " + digest +
                       " does not match the expected sha256 " + moduleSha_ + "\n"),
            std::string::npos)
      << r.err;
  EXPECT_TRUE(listDir(cache_ + "/modules").empty());
}

TEST_F(OciRunOptions, IfNotPresentStartsFromTheCacheWhenTheRegistryIsStopped) {
  ASSERT_FALSE(push("v1").empty());
  expectServes({"--plugin", url("v1"), "--pull-policy", "IfNotPresent", "--cache-dir", cache_});
  registry_->stop();
  expectServes({"--plugin", url("v1"), "--pull-policy", "IfNotPresent", "--cache-dir", cache_});
  // v1 is not `latest`: the default policy is IfNotPresent too
  expectServes({"--plugin", url("v1"), "--cache-dir", cache_});
}

TEST_F(OciRunOptions, AlwaysAsksTheRegistryAndFailsClearlyWhenItIsStopped) {
  ASSERT_FALSE(push("v1").empty());
  expectServes({"--plugin", url("v1"), "--pull-policy", "Always", "--cache-dir", cache_});
  registry_->stop();
  CommandResult r =
      refuse({"--plugin", url("v1"), "--pull-policy", "Always", "--cache-dir", cache_});
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("meshwasm run: plugin 'header-auth' (" + url("v1") + "): pull failed: " +
                       "cannot reach registry " + registry_->host() + " (GET http://" +
                       registry_->host() + "/v2/plugins/header-auth/manifests/v1)"),
            std::string::npos)
      << r.err;
}

TEST_F(OciRunOptions, LatestTagPullsAlwaysUnlessASha256PinsIt) {
  std::string digest = push("latest");
  ASSERT_FALSE(digest.empty());
  expectServes({"--plugin", url("latest"), "--cache-dir", cache_});
  registry_->stop();
  CommandResult r = refuse({"--plugin", url("latest"), "--cache-dir", cache_});
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_NE(r.err.find("pull failed: "), std::string::npos) << r.err;
  // pinned by --sha256 (or by @sha256:), the cached module is used without the registry
  expectServes({"--plugin", url("latest"), "--sha256", digest.substr(7), "--cache-dir", cache_});
  expectServes({"--plugin", url("latest") + "@" + digest, "--cache-dir", cache_});
  // explicit IfNotPresent after a tag was resolved once
  expectServes({"--plugin", url("latest"), "--pull-policy", "IfNotPresent", "--cache-dir",
                cache_});
}

TEST_F(OciRunOptions, LocalFileIsCheckedAgainstSha256) {
  expectServes({"--plugin", module_, "--sha256", moduleSha_});
  std::string zeros(64, '0');
  CommandResult r = refuse({"--plugin", module_, "--sha256", zeros});
  EXPECT_EQ(r.exitCode, 1) << r.err;
  EXPECT_EQ(r.err, "meshwasm run: plugin 'header_auth' (" + module_ + "): module sha256 " +
                       moduleSha_ + " does not match the expected sha256 " + zeros + "\n");
}

TEST_F(OciRunOptions, BadValuesAreUsageErrors) {
  CommandResult sha = refuse({"--plugin", module_, "--sha256", "abc"});
  EXPECT_EQ(sha.exitCode, 2);
  EXPECT_EQ(sha.err,
            "meshwasm run: --sha256: expected 64 hex characters (a sha256), got 'abc'\n"
            "(see meshwasm run --help)\n");
  CommandResult policy = refuse({"--plugin", module_, "--pull-policy", "Never"});
  EXPECT_EQ(policy.exitCode, 2);
  EXPECT_EQ(policy.err,
            "meshwasm run: --pull-policy: expected IfNotPresent or Always, got 'Never'\n"
            "(see meshwasm run --help)\n");
  CommandResult help = runCommand({meshwasmBinary(), "run", "--help"}, 30);
  for (const char* flag : {"--sha256 HEX", "--pull-policy P", "--cache-dir DIR", "--insecure",
                           "--registry-username U"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
}

TEST_F(OciRunOptions, YamlPluginEntriesTakeSha256AndImagePullPolicy) {
  std::string digest = push("v2");
  ASSERT_FALSE(digest.empty());
  std::string yaml = work_.path() + "/gateway.yaml";
  writeText(yaml, "plugins:\n"
                  "  - name: auth\n"
                  "    url: " + url("v2") + "\n"
                  "    sha256: " + digest.substr(7) + "\n"
                  "    image_pull_policy: IfNotPresent\n"
                  "    cache_dir: " + cache_ + "\n");
  expectServes({"-c", yaml});
  registry_->stop();
  expectServes({"-c", yaml});

  writeText(yaml, "plugins:\n"
                  "  - url: " + url("v2") + "\n"
                  "    image_pull_policy: Sometimes\n");
  CommandResult policy = refuse({"-c", yaml});
  EXPECT_EQ(policy.exitCode, 2);
  EXPECT_EQ(policy.err, "meshwasm run: " + yaml +
                            ":3: plugins[0].image_pull_policy: expected IfNotPresent or Always, "
                            "got 'Sometimes'\n");
  writeText(yaml, "plugins:\n"
                  "  - url: " + module_ + "\n"
                  "    sha256: " + std::string(63, 'a') + "\n");
  CommandResult sha = refuse({"-c", yaml});
  EXPECT_EQ(sha.exitCode, 2);
  EXPECT_NE(sha.err.find(yaml + ":3: plugins[0].sha256: expected 64 hex characters"),
            std::string::npos)
      << sha.err;
  writeText(yaml, "plugins:\n"
                  "  - url: " + module_ + "\n"
                  "    sha256: " + std::string(64, 'a') + "\n");
  CommandResult mismatch = refuse({"-c", yaml});
  EXPECT_EQ(mismatch.exitCode, 1);
  EXPECT_NE(mismatch.err.find("does not match the expected sha256 " + std::string(64, 'a')),
            std::string::npos)
      << mismatch.err;
}

TEST_F(OciRunOptions, RegistryCredentialsComeFromFlagsOrTheEnvironment) {
  ASSERT_FALSE(push("v1").empty());
  AuthProxy basic(registry_->host(), "basic", work_.path());
  ASSERT_TRUE(basic.ready());
  std::string viaBasic = "oci://" + basic.host() + "/plugins/header-auth:v1";
  CommandResult anonymous = refuse({"--plugin", viaBasic, "--cache-dir", cache_});
  EXPECT_EQ(anonymous.exitCode, 1);
  EXPECT_NE(anonymous.err.find("pull failed: registry " + basic.host() +
                               " requires Basic authentication"),
            std::string::npos)
      << anonymous.err;
  expectServes({"--plugin", viaBasic, "--cache-dir", cache_, "--registry-username", "alice",
                "--registry-password", "s3cret"});

  AuthProxy bearer(registry_->host(), "bearer", work_.path());
  ASSERT_TRUE(bearer.ready());
  std::string viaBearer = "oci://" + bearer.host() + "/plugins/header-auth:v1";
  expectServes({"env", "MESHWASM_REGISTRY_USERNAME=alice", "MESHWASM_REGISTRY_PASSWORD=s3cret",
                meshwasmBinary(), "run", "--plugin", viaBearer, "--pull-policy", "Always",
                "--cache-dir", cache_},
               /*raw=*/true);
}

}  // namespace
}  // namespace meshwasm::e2e
