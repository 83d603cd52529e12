#include "meshwasm/gateway/config.h"

#include <gtest/gtest.h>

namespace meshwasm::gateway {
namespace {

TEST(GatewayConfig, ReadsPluginsClustersAndLimitsFromYaml) {
  GatewayConfig c;
  Status s = loadConfigText(R"(listen: 127.0.0.1:9090
workers: 3
clusters:
  - name: backend
    address: 127.0.0.1:7000
    timeout_ms: 250
route: backend
plugins:
  - name: auth
    url: build/wasm/header_auth.wasm
    fail_strategy: FAIL_OPEN
    configuration:
      header: allow
      value: "true"
limits:
  max_request_body_bytes: 1000
)",
                            "gw.yaml", &c);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(c.listen_port, 9090);
  EXPECT_EQ(c.workers, 3);
  EXPECT_EQ(c.route_cluster, "backend");
  ASSERT_EQ(c.clusters.size(), 1u);
  EXPECT_EQ(c.clusters[0].port, 7000);
  EXPECT_EQ(c.clusters[0].timeout.count(), 250);
  ASSERT_EQ(c.plugins.size(), 1u);
  EXPECT_EQ(c.plugins[0].fail_strategy, "FAIL_OPEN");
  EXPECT_EQ(c.plugins[0].configuration, R"({"header":"allow","value":"true"})");
  EXPECT_EQ(c.max_request_body_bytes, 1000u);
  ASSERT_TRUE(finalizeConfig(&c));
  EXPECT_NE(findCluster(c, "httpbin"), nullptr);
}

TEST(GatewayConfig, ErrorsNameFileLineAndField) {
  GatewayConfig c;
  Status s = loadConfigText("plugins:\n  - url: a.wasm\n    fail_strategy: SOMETIMES\n", "gw.yaml",
                            &c);
  EXPECT_EQ(s.message(),
            "gw.yaml:3: plugins[0].fail_strategy: expected FAIL_CLOSE, FAIL_OPEN or FAIL_RELOAD");
  GatewayConfig c2;
  EXPECT_EQ(loadConfigText("listen: 1.2.3.4:8080\nworkrs: 2\n", "x.yaml", &c2).message(),
            "x.yaml:2: workrs: unknown field");
  GatewayConfig c3;
  EXPECT_EQ(loadConfigText("clusters:\n  - name: a\n    address: nowhere\n", "y.yaml", &c3)
                .message(),
            "y.yaml:3: clusters[0].address: invalid address 'nowhere' (want host:port)");
}

TEST(GatewayConfig, UpstreamFlagAddsARoutedCluster) {
  GatewayConfig c;
  ASSERT_TRUE(applyUpstreamFlag("http://127.0.0.1:8000/x", &c));
  EXPECT_EQ(c.route_cluster, "upstream");
  EXPECT_EQ(c.clusters.back().host, "127.0.0.1");
  EXPECT_EQ(c.clusters.back().port, 8000);
  EXPECT_FALSE(applyUpstreamFlag("https://x:1", &c));
}

}  // namespace
}  // namespace meshwasm::gateway
