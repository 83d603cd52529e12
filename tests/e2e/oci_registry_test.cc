// End to end: meshwasm image build/push/pull against Debian's docker-registry, skopeo as an
// independent client, registry errors, auth (through oci_auth_proxy.py) and the oci://
// fetcher with its cache.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "meshwasm/oci/archive.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/fetch.h"
#include "meshwasm/oci/media_types.h"
#include "oci_test_support.h"

namespace meshwasm::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class OciRegistry : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_unique<LocalRegistry>(work_.path());
    ASSERT_TRUE(registry_->ready()) << "docker-registry did not start: " << registry_->log();
    module_ = realWasmModule(work_.path());
    ASSERT_FALSE(module_.empty()) << "no wasm module (wat2wasm failed)";
    moduleSha_ = sha256OfFile(module_);
    outDir_ = work_.path() + "/out";
    fs::create_directories(outDir_);
  }

  CommandResult meshwasm(std::vector<std::string> args, const std::vector<std::string>& env = {}) {
    args.insert(args.begin(), meshwasmBinary());
    return runCommand(args, 120, env);
  }

  // Builds a layout of `format` and returns its manifest digest.
  std::string build(const std::string& format, const std::string& dir) {
    CommandResult r = meshwasm({"image", "build", module_, "--format", format, "-o", dir});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    json index = json::parse(readText(dir + "/index.json"), nullptr, false);
    if (index.is_discarded()) return "";
    return index["manifests"][0]["digest"].get<std::string>();
  }

  static json layoutManifest(const std::string& dir) {
    json index = json::parse(readText(dir + "/index.json"));
    std::string digest = index["manifests"][0]["digest"];
    return json::parse(readText(dir + "/blobs/sha256/" + digest.substr(7)));
  }

  std::string ref(const std::string& repoTag) const { return registry_->host() + "/" + repoTag; }

  TempDir work_;
  std::unique_ptr<LocalRegistry> registry_;
  std::string module_, moduleSha_, outDir_;
};

TEST_F(OciRegistry, EveryFormatRoundTripsThroughMeshwasmAndSkopeo) {
  writeText(work_.path() + "/policy.json", R"({"default":[{"type":"insecureAcceptAnything"}]})");
  for (std::string format : {"docker", "compat", "oci"}) {
    SCOPED_TRACE(format);
    std::string digest = build(format, work_.path() + "/img-" + format);
    ASSERT_TRUE(oci::isSha256Digest(digest)) << digest;
    // reproducible: a second build gives the same manifest digest
    EXPECT_EQ(build(format, work_.path() + "/again-" + format), digest);

    std::string reference = ref("plugins/header-auth:" + format);
    CommandResult push = meshwasm({"image", "push", work_.path() + "/img-" + format, reference});
    ASSERT_EQ(push.exitCode, 0) << push.err;
    EXPECT_EQ(push.out, "pushed " + reference + ": " + digest + "\n");
    // pushing again finds every blob present (HEAD) and stores the same manifest
    CommandResult again = meshwasm({"image", "push", work_.path() + "/img-" + format, reference});
    EXPECT_EQ(again.out, push.out) << again.err;

    std::string pulled = outDir_ + "/" + format + ".wasm";
    CommandResult pull = meshwasm({"image", "pull", reference, "-o", pulled});
    ASSERT_EQ(pull.exitCode, 0) << pull.err;
    EXPECT_EQ(sha256OfFile(pulled), moduleSha_);
    EXPECT_EQ(pull.out, "pulled " + reference + ": " + format + " image, manifest " + digest +
                            " -> " + pulled + ": module sha256:" + moduleSha_ + " (" +
                            std::to_string(fs::file_size(module_)) + " bytes)\n");

    // pull by digest, with --sha256 equal to the manifest digest (Istio's rule for oci://)
    CommandResult byDigest = meshwasm({"image", "pull", reference + "@" + digest, "-o",
                                       pulled + ".2", "--sha256", digest.substr(7)});
    ASSERT_EQ(byDigest.exitCode, 0) << byDigest.err;
    EXPECT_EQ(sha256OfFile(pulled + ".2"), moduleSha_);

    // skopeo, an independent client, sees the same manifest and the same module bytes
    std::string skopeoDir = work_.path() + "/skopeo-" + format;
    CommandResult copy =
        runCommand({"skopeo", "--policy", work_.path() + "/policy.json", "copy",
                    "--src-tls-verify=false", "docker://" + reference, "dir:" + skopeoDir},
                   120);
    ASSERT_EQ(copy.exitCode, 0) << copy.err;
    std::string manifest = readText(skopeoDir + "/manifest.json");
    EXPECT_EQ(oci::sha256Digest(manifest), digest);
    json m = json::parse(manifest);
    if (format == "oci") {
      ASSERT_EQ(m["layers"].size(), 2u);
      EXPECT_EQ(m["layers"][0]["mediaType"], oci::kWasmContentLayer);
      EXPECT_EQ(sha256OfFile(skopeoDir + "/" + moduleSha_), moduleSha_);
    } else {
      std::string layer = m["layers"].back()["digest"].get<std::string>().substr(7);
      auto tar = oci::gzipDecompress(readText(skopeoDir + "/" + layer), 1 << 28);
      ASSERT_TRUE(tar) << tar.message();
      auto file = oci::findFileInTar(*tar, "plugin.wasm");
      ASSERT_TRUE(file) << file.message();
      EXPECT_EQ(oci::sha256Hex(*file), moduleSha_);
      EXPECT_EQ(m["mediaType"], format == "docker" ? oci::kDockerManifest : oci::kOciManifest);
    }
  }
}

TEST_F(OciRegistry, BuildRefusesAFileThatIsNotWasm) {
  writeText(work_.path() + "/script.wasm", "#!/bin/sh\necho hi\n");
  CommandResult r = meshwasm({"image", "build", work_.path() + "/script.wasm", "--format", "docker",
                              "-o", work_.path() + "/never"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "meshwasm image build: " + work_.path() +
                       "/script.wasm is not a WebAssembly module (missing the \\0asm magic)\n");
  EXPECT_FALSE(fs::exists(work_.path() + "/never"));
}

TEST_F(OciRegistry, UnknownTagAnswers404AndWritesNothing) {
  CommandResult r =
      meshwasm({"image", "pull", ref("plugins/header-auth:nope"), "-o", outDir_ + "/plugin.wasm"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "meshwasm image pull: registry " + registry_->host() +
                       " answered 404 to GET /v2/plugins/header-auth/manifests/nope: "
                       "MANIFEST_UNKNOWN: manifest unknown ({\"Tag\":\"nope\"})\n");
  EXPECT_TRUE(listDir(outDir_).empty());
}

TEST_F(OciRegistry, WrongDigestsAreRefused) {
  std::string digest = build("compat", work_.path() + "/img");
  std::string reference = ref("plugins/pinned:v1");
  ASSERT_EQ(meshwasm({"image", "push", work_.path() + "/img", reference}).exitCode, 0);
  std::string zeros(64, '0');
  CommandResult unknown =
      meshwasm({"image", "pull", reference + "@sha256:" + zeros, "-o", outDir_ + "/plugin.wasm"});
  EXPECT_EQ(unknown.exitCode, 1);
  EXPECT_EQ(unknown.err, "meshwasm image pull: registry " + registry_->host() +
                             " answered 404 to GET /v2/plugins/pinned/manifests/sha256:" + zeros +
                             ": MANIFEST_UNKNOWN: manifest unknown ({\"Name\":\"plugins/pinned\","
                             "\"Revision\":\"sha256:" +
                             zeros + "\"})\n");
  CommandResult mismatch =
      meshwasm({"image", "pull", reference, "-o", outDir_ + "/plugin.wasm", "--sha256", zeros});
  EXPECT_EQ(mismatch.exitCode, 1);
  EXPECT_EQ(mismatch.err, "meshwasm image pull: " + reference + ": manifest digest " + digest +
                              " does not match --sha256 " + zeros + "\n");
  EXPECT_TRUE(listDir(outDir_).empty());
}

TEST_F(OciRegistry, PushByDigestStoresTheManifestUntagged) {
  std::string digest = build("oci", work_.path() + "/img");
  std::string repo = ref("plugins/untagged");
  CommandResult push = meshwasm({"image", "push", work_.path() + "/img", repo + "@" + digest});
  ASSERT_EQ(push.exitCode, 0) << push.err;
  EXPECT_EQ(push.out, "pushed " + repo + "@" + digest + ": " + digest + "\n");
  CommandResult pull = meshwasm({"image", "pull", repo + "@" + digest, "-o", outDir_ + "/p.wasm"});
  ASSERT_EQ(pull.exitCode, 0) << pull.err;
  EXPECT_EQ(sha256OfFile(outDir_ + "/p.wasm"), moduleSha_);
  CommandResult latest = meshwasm({"image", "pull", repo, "-o", outDir_ + "/latest.wasm"});
  EXPECT_EQ(latest.exitCode, 1);
  EXPECT_NE(latest.err.find("answered 404 to GET /v2/plugins/untagged/manifests/latest"),
            std::string::npos)
      << latest.err;
  // a digest that is not the layout's is refused before anything is sent
  std::string other = "sha256:" + std::string(64, 'e');
  CommandResult wrong = meshwasm({"image", "push", work_.path() + "/img", repo + "@" + other});
  EXPECT_EQ(wrong.exitCode, 1);
  EXPECT_EQ(wrong.err, "meshwasm image push: reference asks for " + other + " but the image is " +
                           digest + "\n");
}

TEST_F(OciRegistry, CorruptedBlobIsDetectedAndNoFileIsLeft) {
  build("docker", work_.path() + "/img");
  std::string reference = ref("plugins/corrupt:v1");
  ASSERT_EQ(meshwasm({"image", "push", work_.path() + "/img", reference}).exitCode, 0);
  json m = layoutManifest(work_.path() + "/img");
  std::string layer = m["layers"][0]["digest"].get<std::string>();
  std::string hex = layer.substr(7);
  std::string stored = registry_->storageDir() + "/docker/registry/v2/blobs/sha256/" +
                       hex.substr(0, 2) + "/" + hex + "/data";
  std::string data = readText(stored);
  ASSERT_FALSE(data.empty()) << stored;
  data[data.size() / 2] ^= 0x20;  // same size, different bytes
  writeText(stored, data);
  writeText(outDir_ + "/plugin.wasm", "previous content");
  CommandResult r = meshwasm({"image", "pull", reference, "-o", outDir_ + "/plugin.wasm"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err, "meshwasm image pull: " + reference + ": blob " + layer + " from registry " +
                       registry_->host() + " does not match its digest (got " +
                       oci::sha256Digest(data) + ")\n");
  // the previous file is untouched and no temporary file is left behind
  EXPECT_EQ(readText(outDir_ + "/plugin.wasm"), "previous content");
  EXPECT_EQ(listDir(outDir_), std::vector<std::string>{"plugin.wasm"});
}

TEST_F(OciRegistry, ManifestNotMatchingItsDigestIsRefused) {
  std::string digest = build("oci", work_.path() + "/img");
  ASSERT_EQ(meshwasm({"image", "push", work_.path() + "/img", ref("plugins/lying:v1")}).exitCode,
            0);
  AuthProxy liar(registry_->host(), "tamper-manifest", work_.path());
  ASSERT_TRUE(liar.ready());
  std::string reference = liar.host() + "/plugins/lying:v1";
  CommandResult r = meshwasm({"image", "pull", reference, "-o", outDir_ + "/plugin.wasm"});
  EXPECT_EQ(r.exitCode, 1);
  std::string body = readText(work_.path() + "/img/blobs/sha256/" + digest.substr(7)) + " ";
  EXPECT_EQ(r.err, "meshwasm image pull: manifest " + reference + ": Docker-Content-Digest " +
                       digest + " does not match the body's sha256 " + oci::sha256Digest(body) +
                       "\n");
  EXPECT_TRUE(listDir(outDir_).empty());
}

TEST_F(OciRegistry, BasicAuthIsAnsweredWithCredentials) {
  AuthProxy proxy(registry_->host(), "basic", work_.path());
  ASSERT_TRUE(proxy.ready());
  build("compat", work_.path() + "/img");
  std::string reference = proxy.host() + "/plugins/basic:v1";
  CommandResult anonymous = meshwasm({"image", "push", work_.path() + "/img", reference});
  EXPECT_EQ(anonymous.exitCode, 1);
  EXPECT_EQ(anonymous.err, "meshwasm image push: registry " + proxy.host() +
                               " requires Basic authentication: pass --username/--password or set "
                               "MESHWASM_REGISTRY_USERNAME/MESHWASM_REGISTRY_PASSWORD\n");
  CommandResult wrong = meshwasm({"image", "push", work_.path() + "/img", reference, "--username",
                                  "alice", "--password", "guess"});
  EXPECT_EQ(wrong.exitCode, 1);
  std::string config = layoutManifest(work_.path() + "/img")["config"]["digest"];
  EXPECT_EQ(wrong.err, "meshwasm image push: registry " + proxy.host() +
                           " answered 401 to HEAD /v2/plugins/basic/blobs/" + config +
                           ": credentials rejected (check --username/--password)\n");
  CommandResult push = meshwasm({"image", "push", work_.path() + "/img", reference, "--username",
                                 "alice", "--password", "s3cret"});
  ASSERT_EQ(push.exitCode, 0) << push.err;
  CommandResult pull =
      meshwasm({"image", "pull", reference, "-o", outDir_ + "/p.wasm"},
               {"MESHWASM_REGISTRY_USERNAME=alice", "MESHWASM_REGISTRY_PASSWORD=s3cret"});
  ASSERT_EQ(pull.exitCode, 0) << pull.err;
  EXPECT_EQ(sha256OfFile(outDir_ + "/p.wasm"), moduleSha_);
}

TEST_F(OciRegistry, BearerTokenChallengeIsFollowed) {
  AuthProxy proxy(registry_->host(), "bearer", work_.path());
  ASSERT_TRUE(proxy.ready());
  build("docker", work_.path() + "/img");
  std::string reference = proxy.host() + "/plugins/bearer:v1";
  CommandResult anonymous = meshwasm({"image", "pull", reference, "-o", outDir_ + "/p.wasm"});
  EXPECT_EQ(anonymous.exitCode, 1);
  EXPECT_EQ(anonymous.err, "meshwasm image pull: token server " + proxy.host() +
                               " answered 401 for scope 'repository:plugins/bearer:pull': "
                               "{\"details\":\"bad credentials\"}\n");
  CommandResult push =
      meshwasm({"image", "push", work_.path() + "/img", reference, "-u", "alice", "-p", "s3cret"});
  ASSERT_EQ(push.exitCode, 0) << push.err;
  CommandResult pull = meshwasm(
      {"image", "pull", reference, "-o", outDir_ + "/p.wasm", "-u", "alice", "-p", "s3cret"});
  ASSERT_EQ(pull.exitCode, 0) << pull.err;
  EXPECT_EQ(sha256OfFile(outDir_ + "/p.wasm"), moduleSha_);
}

TEST_F(OciRegistry, FetchPluginCachesByManifestDigest) {
  std::string digest = build("oci", work_.path() + "/img");
  std::string reference = ref("plugins/cached:v1");
  ASSERT_EQ(meshwasm({"image", "push", work_.path() + "/img", reference}).exitCode, 0);

  oci::FetchOptions options;
  options.url = "oci://" + reference;
  options.cacheDir = work_.path() + "/cache";
  auto first = oci::fetchPlugin(options);
  ASSERT_TRUE(first) << first.message();
  EXPECT_FALSE(first->fromCache);
  EXPECT_EQ(first->manifestDigest, digest);
  EXPECT_EQ(first->moduleSha256, moduleSha_);
  EXPECT_EQ(first->path, options.cacheDir + "/modules/" + digest.substr(7) + ".wasm");
  EXPECT_EQ(sha256OfFile(first->path), moduleSha_);

  // IfNotPresent: the tag is known locally, no registry needed any more
  registry_->stop();
  auto second = oci::fetchPlugin(options);
  ASSERT_TRUE(second) << second.message();
  EXPECT_TRUE(second->fromCache);
  EXPECT_EQ(second->path, first->path);
  options.url = "oci://" + reference + "@" + digest;
  EXPECT_TRUE(oci::fetchPlugin(options));

  // Always asks the registry for the manifest
  options.url = "oci://" + reference;
  options.pullPolicy = oci::PullPolicy::Always;
  auto always = oci::fetchPlugin(options);
  ASSERT_FALSE(always);
  EXPECT_EQ(always.message().rfind("cannot reach registry " + registry_->host() + " (GET http://" +
                                       registry_->host() + "/v2/plugins/cached/manifests/v1): ",
                                   0),
            0u)
      << always.message();
}

TEST_F(OciRegistry, FetchPluginComparesSha256WithTheManifestDigest) {
  std::string digest = build("compat", work_.path() + "/img");
  std::string reference = ref("plugins/verified:v1");
  ASSERT_EQ(meshwasm({"image", "push", work_.path() + "/img", reference}).exitCode, 0);
  oci::FetchOptions options;
  options.url = "oci://" + reference;
  options.cacheDir = work_.path() + "/cache";
  options.expectedSha256 = moduleSha_;  // the MODULE hash is not what Istio compares
  auto wrong = oci::fetchPlugin(options);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.message(), reference + ": manifest digest " + digest +
                                 " does not match the expected sha256 " + moduleSha_);
  EXPECT_FALSE(fs::exists(options.cacheDir + "/modules/" + digest.substr(7) + ".wasm"));
  options.expectedSha256 = digest.substr(7);
  auto right = oci::fetchPlugin(options);
  ASSERT_TRUE(right) << right.message();
  EXPECT_EQ(right->moduleSha256, moduleSha_);
}

}  // namespace
}  // namespace meshwasm::e2e
