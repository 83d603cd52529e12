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

TEST(GatewayConfig, FailReloadBackoffDefaultsToEnvoysOneSecondBaseAndNoMax) {
  GatewayConfig c;
  ASSERT_TRUE(
      loadConfigText("plugins:\n  - url: a.wasm\n    fail_strategy: FAIL_RELOAD\n", "gw.yaml", &c));
  ASSERT_EQ(c.plugins.size(), 1u);
  EXPECT_EQ(c.plugins[0].reload_backoff.count(), 1000);
  EXPECT_EQ(c.plugins[0].reload_max_backoff.count(), 0);
}

TEST(GatewayConfig, ReadsFailReloadBaseAndMaxBackoff) {
  GatewayConfig c;
  Status s = loadConfigText(R"(plugins:
  - url: a.wasm
    fail_strategy: FAIL_RELOAD
    reload_max_backoff_ms: 8000
    reload_backoff_ms: 250
  - url: b.wasm
    reload_backoff_ms: 40
    reload_max_backoff_ms: 40
)",
                            "gw.yaml", &c);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(c.plugins.size(), 2u);
  EXPECT_EQ(c.plugins[0].reload_backoff.count(), 250);
  EXPECT_EQ(c.plugins[0].reload_max_backoff.count(), 8000);
  EXPECT_EQ(c.plugins[1].reload_backoff.count(), 40);
  EXPECT_EQ(c.plugins[1].reload_max_backoff.count(), 40);
  EXPECT_TRUE(finalizeConfig(&c));
}

TEST(GatewayConfig, RejectsBadFailReloadBackoffNamingFileLineAndField) {
  auto load = [](const std::string& text) {
    GatewayConfig c;
    return loadConfigText(text, "gw.yaml", &c).message();
  };
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n    reload_backoff_ms: -5\n"),
            "gw.yaml:3: plugins[0].reload_backoff_ms: expected an integer in [1, 86400000]");
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n    reload_backoff_ms: 0\n"),
            "gw.yaml:3: plugins[0].reload_backoff_ms: expected an integer in [1, 86400000]");
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n    reload_backoff_ms: 1s\n"),
            "gw.yaml:3: plugins[0].reload_backoff_ms: expected an integer in [1, 86400000]");
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n    reload_max_backoff_ms: 0\n"),
            "gw.yaml:3: plugins[0].reload_max_backoff_ms: expected an integer in [1, 86400000]");
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n    reload_max_backoff_ms: 86400001\n"),
            "gw.yaml:3: plugins[0].reload_max_backoff_ms: expected an integer in [1, 86400000]");
  // The max must not be below the base, given or default (1000).
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n  - url: b.wasm\n    reload_max_backoff_ms: 999\n"),
            "gw.yaml:4: plugins[1].reload_max_backoff_ms: must not be less than "
            "reload_backoff_ms (1000)");
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n    reload_max_backoff_ms: 300\n"
                 "    reload_backoff_ms: 500\n"),
            "gw.yaml:3: plugins[0].reload_max_backoff_ms: must not be less than "
            "reload_backoff_ms (500)");
  EXPECT_EQ(load("plugins:\n  - url: a.wasm\n    reload_backof_ms: 500\n"),
            "gw.yaml:3: plugins[0].reload_backof_ms: unknown field");
}

TEST(GatewayConfig, FinalizeRejectsAMaxBackoffBelowTheBase) {
  GatewayConfig c;
  PluginSpec p;
  p.name = "auth";
  p.source = "a.wasm";
  p.reload_backoff = std::chrono::milliseconds(2000);
  p.reload_max_backoff = std::chrono::milliseconds(1500);
  c.plugins.push_back(p);
  EXPECT_EQ(finalizeConfig(&c).message(),
            "plugin 'auth': reload_max_backoff_ms (1500) is less than reload_backoff_ms (2000)");
}

}  // namespace
}  // namespace meshwasm::gateway
