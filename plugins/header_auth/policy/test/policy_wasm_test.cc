// The policy table (policy_cases.h) run against the real header_auth.wasm through
// `meshwasm replay`: the same scenarios the native policy_test.cc checks, now through the
// SDK glue, the Proxy-Wasm host and the interpreter. One replay run per configuration.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "policy_cases.h"

namespace meshwasm::header_auth {
namespace {

using Json = nlohmann::json;
using testing::PolicyCase;

struct Replay {
  int exit_code = -1;
  std::vector<Json> lines;  // stdout, one JSON document per line
  std::string stderr_text;
};

std::string envOr(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

// Per-process names: ctest runs these tests in parallel processes.
std::string writeTemp(const std::string& name, const std::string& contents) {
  std::string path =
      ::testing::TempDir() + "header_auth_policy_wasm_" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string shellQuote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

Replay replay(const std::string& config, const Json& requests) {
  const std::string cli = envOr("MESHWASM_BUILD_DIR", "build") + "/bin/meshwasm";
  const std::string plugin = envOr("MESHWASM_WASM_DIR", "build/wasm") + "/header_auth.wasm";
  const std::string config_path = writeTemp("config.json", config);
  const std::string requests_path = writeTemp("requests.json", requests.dump());
  const std::string stderr_path = writeTemp("stderr.txt", "");
  const std::string command = "timeout 120 " + shellQuote(cli) + " replay --plugin " +
                              shellQuote(plugin) + " --config " + shellQuote(config_path) +
                              " --requests " + shellQuote(requests_path) + " 2>" +
                              shellQuote(stderr_path);
  Replay result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) result.lines.push_back(Json::parse(line, nullptr, false));
  }
  std::ifstream err(stderr_path);
  std::stringstream err_text;
  err_text << err.rdbuf();
  result.stderr_text = err_text.str();
  return result;
}

Json requestJson(const PolicyCase& c) {
  Json headers = Json::array();
  for (const auto& [name, value] : c.headers) headers.push_back(Json::array({name, value}));
  Json request = {{"headers", headers}};
  if (!c.route_name.empty()) request["properties"] = {{"xds.route_name", c.route_name}};
  return request;
}

bool logsContain(const Json& line, const std::string& text) {
  if (!line.contains("logs")) return false;
  for (const Json& entry : line["logs"]) {
    if (entry.is_array() && entry.size() == 2 && entry[1].is_string() &&
        entry[1].get<std::string>().find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

uint64_t counter(const Replay& run, const std::string& name) {
  for (const Json& line : run.lines) {
    if (!line.is_object() || line.value("event", "") != "metrics") continue;
    for (const Json& metric : line["metrics"]) {
      if (metric.value("name", "") == name) return metric.value("value", uint64_t{0});
    }
  }
  return 0;
}

TEST(PolicyThroughReplay, EveryTableCaseDecidesAsNatively) {
  // Group the cases by configuration, keeping the table order.
  std::vector<std::string> configs;
  std::map<std::string, std::vector<PolicyCase>> groups;
  for (const PolicyCase& c : testing::policyCases()) {
    if (groups.find(c.config) == groups.end()) configs.push_back(c.config);
    groups[c.config].push_back(c);
  }
  size_t checked = 0;
  for (const std::string& config : configs) {
    const std::vector<PolicyCase>& cases = groups[config];
    Json requests = Json::array();
    for (const PolicyCase& c : cases) requests.push_back(requestJson(c));
    Replay run = replay(config, requests);
    ASSERT_EQ(run.exit_code, 0) << config << "\n" << run.stderr_text;
    ASSERT_EQ(run.lines.size(), cases.size() + 2) << config;  // load, requests, metrics
    ASSERT_TRUE(run.lines[0].value("ok", false)) << run.lines[0].dump();

    const bool tutorial = config.empty() || config == "{}";
    const std::string prefix =
        config.find("\"stat_prefix\": \"edge\"") != std::string::npos ? "edge" : "header_auth";
    uint64_t allowed = 0, denied = 0, dry_run_denied = 0;
    std::map<std::string, uint64_t> matched;
    for (size_t i = 0; i < cases.size(); ++i) {
      const PolicyCase& c = cases[i];
      const Json& line = run.lines[i + 1];
      SCOPED_TRACE(c.name + ": " + line.dump());
      if (c.allowed) {
        EXPECT_EQ(line.value("action", ""), "continue");
        EXPECT_TRUE(line["local_reply"].is_null());
      } else {
        EXPECT_EQ(line.value("action", ""), "local_reply");
        ASSERT_TRUE(line["local_reply"].is_object());
        EXPECT_EQ(line["local_reply"].value("status", 0),
                  c.name.rfind("RouteByHostAndPathPrefix", 0) == 0 ? 401 : 403);
        EXPECT_TRUE(logsContain(line, tutorial
                                          ? "allow header not found or is not true, deny by default"
                                          : "denied by policy " + c.policy));
      }
      if (c.dry_run_denied) {
        EXPECT_TRUE(logsContain(line, "dry run: policy " + c.policy + " would deny the request"));
      }
      EXPECT_TRUE(logsContain(line, "wasm-cpp: on_http_request_headers"));
      if (c.dry_run_denied) {
        ++dry_run_denied;
      } else if (c.allowed) {
        ++allowed;
      } else {
        ++denied;
      }
      if (!tutorial && c.policy != "default") ++matched[c.policy];
      ++checked;
    }
    EXPECT_EQ(counter(run, prefix + ".allowed"), allowed) << config;
    EXPECT_EQ(counter(run, prefix + ".denied"), denied) << config;
    EXPECT_EQ(counter(run, prefix + ".dry_run_denied"), dry_run_denied) << config;
    for (const auto& [name, count] : matched) {
      EXPECT_EQ(counter(run, prefix + ".policy." + name + ".matched"), count) << config;
    }
  }
  EXPECT_EQ(checked, testing::policyCases().size());
}

TEST(PolicyThroughReplay, DenyResponseFieldsReachTheLocalReply) {
  Replay run = replay(R"({"deny_response": {"status": 401, "body": "no\n",
      "headers": {"WWW-Authenticate": "Bearer"}, "details": "bad token", "grpc_status": 16}})",
                      Json::array({{{"headers", Json::array({Json::array({":path", "/"})})}}}));
  ASSERT_EQ(run.exit_code, 0) << run.stderr_text;
  ASSERT_EQ(run.lines.size(), 3u);
  const Json& reply = run.lines[1]["local_reply"];
  ASSERT_TRUE(reply.is_object()) << run.lines[1].dump();
  EXPECT_EQ(reply.value("status", 0), 401);
  EXPECT_EQ(reply.value("body", ""), "no\n");
  EXPECT_EQ(reply.value("details", ""), "bad_token");  // whitespace becomes '_', as in Envoy
  EXPECT_EQ(reply.value("grpc_status", 0), 16);
  EXPECT_NE(reply["headers"].dump().find(R"(["www-authenticate","Bearer"])"), std::string::npos)
      << reply.dump();
}

TEST(PolicyThroughReplay, InvalidConfigurationIsRefusedWithThePath) {
  Replay run = replay(
      R"({"allow": [{"name": "a", "all": [{"header": "x", "exact": "1"}, {"header": "allow", "exatc": "true"}]}]})",
      Json::array({{{"headers", Json::array()}}}));
  ASSERT_FALSE(run.lines.empty()) << run.stderr_text;
  const Json& load = run.lines[0];
  EXPECT_FALSE(load.value("ok", true)) << load.dump();
  EXPECT_NE(load.dump().find(R"(allow[0].all[1]: unknown field \"exatc\")"), std::string::npos)
      << load.dump();
}

}  // namespace
}  // namespace meshwasm::header_auth
