// `meshwasm replay` end to end: the real binary, the real plugins, exact JSON lines.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

std::string env(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v ? v : fallback;
}

std::string meshwasm() {
  return env("MESHWASM_BUILD_DIR", "build") + "/bin/meshwasm";
}
std::string wasm(const std::string& name) {
  return env("MESHWASM_WASM_DIR", "build/wasm") + "/" + name + ".wasm";
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

struct ReplayRun {
  int exit_code = -1;
  std::vector<std::string> lines;
};

// Runs `meshwasm replay <args>` (bounded by `timeout`), stdout split into lines.
ReplayRun replay(const std::vector<std::string>& args) {
  std::string cmd = "timeout 60 " + quote(meshwasm()) + " replay";
  for (const auto& a : args) cmd += " " + quote(a);
  cmd += " 2>/dev/null";
  ReplayRun run;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return run;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    run.lines.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  return run;
}

constexpr const char* kDenyRequest =
    R"([{"headers":[[":method","GET"],[":path","/status/418"],["Host","example.com"]]}])";
constexpr const char* kAllowRequest =
    R"([{"headers":[[":method","GET"],[":path","/status/418"],["Allow","true"]],)"
    R"("response_headers":[[":status","418"]],"response_body":"I'm a teapot"}])";

TEST(ReplayHeaderAuth, LoadsAsAbi021OnTheInterpreter) {
  ReplayRun r = replay({"--plugin", wasm("header_auth"), "--requests", kDenyRequest});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0],
            R"({"event":"load","ok":true,"engine":"interp","abi_version":"0.2.1","errors":[],)"
            R"("logs":[]})");
}

TEST(ReplayHeaderAuth, DeniesWhenAllowHeaderMissing) {
  ReplayRun r = replay({"--plugin", wasm("header_auth"), "--requests", kDenyRequest});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(
      r.lines[1],
      R"({"action":"local_reply","local_reply":{"status":403,)"
      R"("body":"Forbidden by ASM Wasm Plugin, cpp version\n",)"
      R"("headers":[[":status","403"],["content-type","text/plain"],["content-length","42"]],)"
      R"("grpc_status":-1,"details":""},)"
      R"("request_headers_after":[[":method","GET"],[":path","/status/418"],)"
      R"([":authority","example.com"]],)"
      R"("logs":[["info","#2 wasm-cpp: on_http_request_headers"],)"
      R"(["info","#2 wasm-cpp: allow header not found or is not true, deny by default"]]})");
}

TEST(ReplayHeaderAuth, ContinuesWhenAllowIsTrue) {
  ReplayRun r = replay({"--plugin", wasm("header_auth"), "--requests", kAllowRequest});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[1], R"({"action":"continue","local_reply":null,)"
                        R"("request_headers_after":[[":method","GET"],[":path","/status/418"],)"
                        R"(["allow","true"]],"response_headers_after":[[":status","418"]],)"
                        R"("response_body_after":"I'm a teapot",)"
                        R"("logs":[["info","#2 wasm-cpp: on_http_request_headers"]]})");
}

TEST(ReplayHeaderAuth, ContextIdsGrowPerRequestAndMetricsComeLast) {
  std::string two = std::string(kDenyRequest).substr(0, std::string(kDenyRequest).size() - 1) +
                    "," + std::string(kAllowRequest).substr(1);
  ReplayRun r = replay({"--plugin", wasm("header_auth"), "--requests", two});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_EQ(r.lines.size(), 4u);
  EXPECT_NE(r.lines[1].find("#2 wasm-cpp"), std::string::npos);
  EXPECT_NE(r.lines[2].find("#3 wasm-cpp"), std::string::npos);
  EXPECT_EQ(r.lines[3].rfind(R"({"event":"metrics","metrics":[)", 0), 0u) << r.lines[3];
}

TEST(ReplayHeaderAuth, LogLevelWarnHidesInfoLines) {
  ReplayRun r =
      replay({"--plugin", wasm("header_auth"), "--log-level", "warn", "--requests", kDenyRequest});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_NE(r.lines[1].find(R"("logs":[])"), std::string::npos) << r.lines[1];
}

TEST(ReplayHeaderAuth, RequestsMayComeFromAFile) {
  std::string path =
      env("TMPDIR", "/tmp") + "/meshwasm_replay_requests_" + std::to_string(::getpid()) + ".json";
  {
    std::ofstream f(path);
    f << kAllowRequest;
  }
  ReplayRun r = replay({"--plugin", wasm("header_auth"), "--requests", path});
  std::remove(path.c_str());
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[1].rfind(R"({"action":"continue")", 0), 0u);
}

TEST(ReplayHeaderAuth, IterationsPrintsABenchLine) {
  ReplayRun r =
      replay({"--plugin", wasm("header_auth"), "--iterations", "20", "--requests", kDenyRequest});
  ASSERT_EQ(r.exit_code, 0);
  ASSERT_GE(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[1].rfind(R"({"event":"bench","engine":"interp","requests":1,)"
                             R"("iterations":20,"ns_per_request_median":)",
                             0),
            0u)
      << r.lines[1];
  EXPECT_NE(r.lines[1].find(R"("cpu_ns_per_request_median":)"), std::string::npos);
}

TEST(ReplayLoad, GarbageBytesFailTheLoadWithExitCodeOne) {
  ReplayRun r = replay({"--plugin", wasm("test_garbage"), "--requests", "[]"});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0].rfind(R"({"event":"load","ok":false,"engine":"interp",)"
                             R"("abi_version":null,"errors":[")",
                             0),
            0u)
      << r.lines[0];
}

TEST(ReplayLoad, ConfigureFailureNamesThePlugin) {
  ReplayRun r = replay(
      {"--plugin", wasm("test_lifecycle"), "--config", "configure=false", "--requests", "[]"});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_NE(r.lines[0].find(R"("errors":["Plugin 'test_lifecycle' failed to configure: )"
                            R"(proxy_on_configure returned false"])"),
            std::string::npos)
      << r.lines[0];
}

TEST(ReplayLoad, MissingAbiMarkerIsReported) {
  ReplayRun r = replay({"--plugin", wasm("test_no_abi_marker"), "--requests", "[]"});
  EXPECT_EQ(r.exit_code, 1);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_NE(r.lines[0].find(R"("errors":["Missing or unknown Proxy-Wasm ABI version"])"),
            std::string::npos)
      << r.lines[0];
}

TEST(ReplayFailures, TrapFailsClosedThenOpen) {
  std::string req =
      R"([{"headers":[[":path","/"],["x-test","rh=trap"]]},{"headers":[[":path","/"]]}])";
  ReplayRun closed = replay({"--plugin", wasm("test_lifecycle"), "--requests", req});
  ASSERT_EQ(closed.exit_code, 0);
  ASSERT_EQ(closed.lines.size(), 3u);
  EXPECT_EQ(closed.lines[1].rfind(R"({"action":"local_reply","local_reply":{"status":503,)"
                                  R"("body":"","headers":[[":status","503"]],"grpc_status":14,)"
                                  R"("details":"wasm_fail_stream"})",
                                  0),
            0u)
      << closed.lines[1];
  EXPECT_NE(closed.lines[1].find(R"(["error","Function: proxy_on_request_headers failed: )"),
            std::string::npos);
  EXPECT_NE(closed.lines[1].find(R"("vm_failed":true)"), std::string::npos);
  EXPECT_NE(closed.lines[2].find(R"("status":503)"), std::string::npos)
      << "later requests fail closed too";

  ReplayRun open = replay({"--plugin", wasm("test_lifecycle"), "--fail-open", "--requests", req});
  ASSERT_EQ(open.lines.size(), 3u);
  EXPECT_EQ(open.lines[1].rfind(R"({"action":"continue","local_reply":null)", 0), 0u);
  EXPECT_EQ(open.lines[2].rfind(R"({"action":"continue","local_reply":null)", 0), 0u);
}

TEST(ReplayUsage, BadRequestsJsonIsAUsageError) {
  ReplayRun r = replay({"--plugin", wasm("header_auth"), "--requests", "{not json"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.lines.empty());
}

}  // namespace
