// Every Istio/ASM manifest in deploy/ and every one `meshwasm manifest` renders is validated
// against the CRD schemas in ../shared/data/istio (deploy/tools/validate_manifests.py, Debian's
// python3-jsonschema); invalid manifests must be refused with the exact reason.
#include <gtest/gtest.h>

#include <filesystem>

#include "oci_test_support.h"

namespace meshwasm::e2e {
namespace {

namespace fs = std::filesystem;

std::string repoRoot() {
  return fs::path(e2eSourceDir()).parent_path().parent_path().string();
}
std::string validator() {
  return repoRoot() + "/deploy/tools/validate_manifests.py";
}
std::string crdDir() {
  return fs::path(repoRoot()).parent_path().string() + "/shared/data/istio";
}

CommandResult validate(const std::vector<std::string>& files) {
  std::vector<std::string> argv = {"/usr/bin/python3", validator(), "--crd-dir", crdDir()};
  argv.insert(argv.end(), files.begin(), files.end());
  return runCommand(argv, 60);
}

class ManifestSchemas : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(crdDir() + "/wasmplugin-crd.yaml"))
        << "the Istio CRDs are expected in " << crdDir();
  }
  CommandResult meshwasm(std::vector<std::string> args) {
    args.insert(args.begin(), meshwasmBinary());
    return runCommand(args, 60);
  }
  TempDir work_;
};

TEST_F(ManifestSchemas, EveryManifestInTheRepoIsValid) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(repoRoot() + "/deploy")) {
    std::string ext = entry.path().extension().string();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 6u);
  CommandResult r = validate(files);
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("FAIL"), std::string::npos) << r.out;
  std::string deploy = repoRoot() + "/deploy/";
  for (const std::string& line :
       {"OK   " + deploy + "istio/wasmplugin.yaml#0 WasmPlugin/header-auth\n",
        "OK   " + deploy + "istio/wasmplugin-pinned.yaml#0 WasmPlugin/header-auth\n",
        "OK   " + deploy + "istio/trafficextension.yaml#0 TrafficExtension/header-auth\n",
        "OK   " + deploy + "asm/wasmplugin.yaml#0 WasmPlugin/header-auth\n",
        "OK   " + deploy + "envoy/envoy.yaml#0 Envoy bootstrap\n"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << "missing: " << line << r.out;
  }
}

TEST_F(ManifestSchemas, RenderedManifestsAreValidAndEmbedTheConfig) {
  std::string config = work_.path() + "/config.json";
  writeText(config,
            R"({"stat_prefix":"ingress_auth","allow":[{"header":{"name":"allow","exact":"true"}}],)"
            R"("deny_response":{"status":403,"body":"no","headers":[["x-a","1"]]},"dry_run":false,)"
            R"("y":"yes","n":null,"empty":{},"list":[]})");
  struct Case {
    std::vector<std::string> args;
    std::string expectLine;
  };
  std::vector<Case> cases = {
      {{}, "WasmPlugin/header-auth"},
      {{"--kind", "TrafficExtension", "--name", "auth-te"}, "TrafficExtension/auth-te"},
      {{"--sha256", std::string(64, '0'), "--pull-policy", "Always", "--namespace", "gw", "--name",
        "pinned", "--image-pull-secret", "acr-credential", "--plugin-name", "auth"},
       "WasmPlugin/pinned"},
      {{"--selector", "app=edge", "--selector", "tier=front", "--phase", "AUTHZ", "--fail-strategy",
        "FAIL_OPEN"},
       "WasmPlugin/header-auth"},
      {{"--selector", "none", "--kind", "TrafficExtension", "--phase", "STATS"},
       "TrafficExtension/header-auth"},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string out = work_.path() + "/rendered-" + std::to_string(n++) + ".yaml";
    std::vector<std::string> args = {"manifest", "--image", "127.0.0.1:5000/plugins/header-auth:v1",
                                     "--config", config,    "-o",
                                     out};
    args.insert(args.end(), c.args.begin(), c.args.end());
    CommandResult render = meshwasm(args);
    ASSERT_EQ(render.exitCode, 0) << render.err;
    CommandResult r = validate({out});
    EXPECT_EQ(r.exitCode, 0) << r.out << readText(out);
    EXPECT_EQ(r.out, "OK   " + out + "#0 " + c.expectLine + "\n") << readText(out);
    // the embedded pluginConfig reads back (YAML -> JSON) as exactly the config file
    CommandResult same =
        runCommand({"/usr/bin/python3", "-c",
                    "import json,sys,yaml; d=yaml.safe_load(open(sys.argv[1])); s=d['spec'];"
                    "c=(s.get('wasm') or s)['pluginConfig'];"
                    "sys.exit(0 if c==json.load(open(sys.argv[2])) else 1)",
                    out, config},
                   30);
    EXPECT_EQ(same.exitCode, 0) << same.err << readText(out);
  }
}

TEST_F(ManifestSchemas, InvalidManifestsAreRejectedWithTheReason) {
  std::string dir = e2eSourceDir() + "/oci_data/invalid";
  int checked = 0;
  for (const std::string& name : listDir(dir)) {
    std::string path = dir + "/" + name;
    std::string text = readText(path);
    std::size_t at = text.find("# expect: ");
    ASSERT_NE(at, std::string::npos) << path << " has no '# expect:' line";
    std::string expect = text.substr(at + 10, text.find('\n', at) - at - 10);
    CommandResult r = validate({path});
    EXPECT_EQ(r.exitCode, 1) << name << ": " << r.out;
    EXPECT_NE(r.out.find("FAIL " + path + "#0 "), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(": " + expect + "\n"), std::string::npos)
        << name << "\nexpected: " << expect << "\ngot: " << r.out;
    ++checked;
  }
  EXPECT_GE(checked, 12);
}

TEST_F(ManifestSchemas, ManifestCommandRefusesConfigThatIsNotAnObject) {
  std::string config = work_.path() + "/list.json";
  writeText(config, "[1,2]");
  CommandResult r = meshwasm({"manifest", "--image", "h.io/p:v1", "--config", config});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_EQ(r.err,
            "meshwasm manifest: " + config +
                ": plugin configuration must be a JSON object (pluginConfig is an object)\n");
  EXPECT_EQ(r.out, "");
  CommandResult missing = meshwasm({"manifest", "--config", config});
  EXPECT_EQ(missing.exitCode, 2);
  EXPECT_EQ(missing.err.rfind("meshwasm manifest: --image and --config are required\n", 0), 0u);
}

}  // namespace
}  // namespace meshwasm::e2e
