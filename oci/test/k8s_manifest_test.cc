#include "meshwasm/oci/k8s_manifest.h"

#include <gtest/gtest.h>

namespace meshwasm::oci {
namespace {

TEST(K8sManifest, RendersWasmPluginForTheIngressGateway) {
  ManifestOptions o;
  o.image = "registry.example.com/plugins/header-auth:v1";
  o.configJson =
      R"({"header":"allow","expected":"true","deny":{"status":403,"paths":["/a","/b"]},"empty":{}})";
  auto yaml = renderManifest(o);
  ASSERT_TRUE(yaml) << yaml.message();
  EXPECT_EQ(*yaml,
            "apiVersion: \"extensions.istio.io/v1alpha1\"\n"
            "kind: \"WasmPlugin\"\n"
            "metadata:\n"
            "  name: \"header-auth\"\n"
            "  namespace: \"istio-system\"\n"
            "spec:\n"
            "  selector:\n"
            "    matchLabels:\n"
            "      istio: \"ingressgateway\"\n"
            "  phase: \"AUTHN\"\n"
            "  url: \"oci://registry.example.com/plugins/header-auth:v1\"\n"
            "  failStrategy: \"FAIL_CLOSE\"\n"
            "  pluginConfig:\n"
            "    header: \"allow\"\n"
            "    expected: \"true\"\n"
            "    deny:\n"
            "      status: 403\n"
            "      paths:\n"
            "        - \"/a\"\n"
            "        - \"/b\"\n"
            "    empty: {}\n");
}

TEST(K8sManifest, RendersTrafficExtensionWithWasmBlock) {
  ManifestOptions o;
  o.kind = ManifestKind::TrafficExtension;
  o.image = "oci://127.0.0.1:5000/p:v1";
  o.sha256 = std::string(64, 'a');
  o.pullPolicy = "Always";
  auto yaml = renderManifest(o);
  ASSERT_TRUE(yaml) << yaml.message();
  EXPECT_NE(yaml->find("kind: \"TrafficExtension\"\n"), std::string::npos);
  EXPECT_NE(yaml->find("  wasm:\n    url: \"oci://127.0.0.1:5000/p:v1\"\n    sha256: \"" +
                       std::string(64, 'a') + "\"\n    imagePullPolicy: \"Always\"\n"),
            std::string::npos)
      << *yaml;
  EXPECT_NE(yaml->find("    pluginConfig: {}\n"), std::string::npos);
}

TEST(K8sManifest, QuotesKeysThatAreNotPlain) {
  auto yaml = jsonToYaml(R"({"a b":1,"true":[{"x":null,"y":[1,[2]]}],"ok-key/x.y":"line\nbreak"})");
  ASSERT_TRUE(yaml);
  EXPECT_EQ(*yaml,
            "\"a b\": 1\n"
            "\"true\":\n"
            "  - x: null\n"
            "    \"y\":\n"  // YAML 1.1 reads a plain y as a boolean
            "      - 1\n"
            "      -\n"
            "        - 2\n"
            "ok-key/x.y: \"line\\nbreak\"\n");
}

TEST(K8sManifest, RefusesBadInputWithExactMessages) {
  ManifestOptions o;
  o.image = "h.io/p:v1";
  o.configJson = "[1]";
  EXPECT_EQ(renderManifest(o).message(),
            "plugin configuration must be a JSON object (pluginConfig is an object)");
  o.configJson = "{";
  EXPECT_EQ(renderManifest(o).message(), "plugin configuration is not valid JSON");
  o.configJson = "{}";
  o.phase = "LATE";
  EXPECT_EQ(renderManifest(o).message(), "phase must be AUTHN, AUTHZ or STATS, got 'LATE'");
  o.phase = "AUTHN";
  o.failStrategy = "FAIL_SOMETIMES";
  EXPECT_EQ(renderManifest(o).message(),
            "fail strategy must be FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD, got 'FAIL_SOMETIMES'");
  o.failStrategy = "FAIL_OPEN";
  o.sha256 = "abc";
  EXPECT_EQ(renderManifest(o).message(), "sha256 must be 64 lowercase hex characters");
  o.sha256.clear();
  o.image = "h.io/Bad";
  EXPECT_FALSE(renderManifest(o));
}

}  // namespace
}  // namespace meshwasm::oci
