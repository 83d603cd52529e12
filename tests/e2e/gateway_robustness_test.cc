// `meshwasm run` robustness: malformed and oversized requests, smuggling attempts, upstream
// failures and timeouts, slow clients, keep-alive, pipelining, chunked bodies and trailers.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <fstream>
#include <functional>
#include <thread>

#include "gateway_test_support.h"

namespace meshwasm::e2e {
namespace {

std::string writeConfig(const std::string& name, const std::string& yaml) {
  std::string path = "/tmp/meshwasm_e2e_" + std::to_string(::getpid()) + "_" + name + ".yaml";
  std::ofstream(path) << yaml;
  return path;
}

nlohmann::json lastAccessLog(GatewayProcess& gw, const std::string& request_id) {
  if (!gw.waitForOut("\"request_id\":\"" + request_id + "\"")) return nullptr;
  std::string out = gw.out();
  size_t at = out.find("\"request_id\":\"" + request_id + "\"");
  size_t start = out.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  return nlohmann::json::parse(out.substr(start, out.find('\n', at) - start), nullptr, false);
}

class GatewayRobustness : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}) {
    args.insert(args.end(), {"--workers", "2"});
    std::string error;
    gw_ = GatewayProcess::start(args, &error);
    ASSERT_TRUE(gw_) << error;
  }
  std::unique_ptr<GatewayProcess> gw_;
};

TEST_F(GatewayRobustness, MalformedRequestGets400) {
  start();
  auto r = parseResponse(roundTrip(gw_->port(), "GET /x HTTP/1.1\r\nHost h\r\n\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body, "Bad Request");
  EXPECT_EQ(r->header("connection"), "close");
  auto missing_host = parseResponse(roundTrip(gw_->port(), "GET /x HTTP/1.1\r\n\r\n"));
  ASSERT_TRUE(missing_host);
  EXPECT_EQ(missing_host->status, 400);
}

TEST_F(GatewayRobustness, HeaderSectionTooLargeGets431) {
  start();
  std::string big = "GET /get HTTP/1.1\r\nHost: h\r\nx-big: " + std::string(70 * 1024, 'a') +
                    "\r\n\r\n";
  auto r = parseResponse(roundTrip(gw_->port(), big));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST_F(GatewayRobustness, BodyOverTheLimitGets413) {
  start({"-c", writeConfig("limits", "limits:\n  max_request_body_bytes: 1000\n")});
  std::string body(2000, 'b');
  HttpResponse r = request(gw_->port(), "POST", "/anything", {}, body);
  EXPECT_EQ(r.status, 413) << r.raw;
  std::string chunked = "POST /anything HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "7d0\r\n" + body + "\r\n0\r\n\r\n";
  auto c = parseResponse(roundTrip(gw_->port(), chunked));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, 413);
}

TEST_F(GatewayRobustness, SmugglingAttemptsAreRejected) {
  start();
  auto cl_te = parseResponse(roundTrip(
      gw_->port(),
      "POST /anything HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
      "\r\n0\r\n\r\nGET /status/200 HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(cl_te);
  EXPECT_EQ(cl_te->status, 400);
  std::string both = roundTrip(gw_->port(),
                              "POST /anything HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
                              "Content-Length: 40\r\n\r\nabc");
  auto dup = parseResponse(both);
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 400);
  EXPECT_EQ(parseResponses(both).size(), 1u) << "nothing smuggled behind it";
  auto te = parseResponse(roundTrip(gw_->port(),
                                   "POST /anything HTTP/1.1\r\nHost: h\r\n"
                                   "Transfer-Encoding: gzip, identity\r\n\r\nabc"));
  ASSERT_TRUE(te);
  EXPECT_EQ(te->status, 400);
}

TEST_F(GatewayRobustness, RefusedUpstreamGets503WithFlagUF) {
  start({"--upstream", "http://127.0.0.1:" + std::to_string(unusedPort())});
  HttpResponse r = request(gw_->port(), "GET", "/x", {{"x-request-id", "uf"}});
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body,
            "upstream connect error or disconnect/reset before headers. reset reason: connection "
            "failure");
  auto log = lastAccessLog(*gw_, "uf");
  EXPECT_EQ(log["response_flags"], "UF");
  EXPECT_EQ(log["response_code"], 503);
}

TEST_F(GatewayRobustness, UpstreamResetGets503WithFlagUC) {
  FakeUpstream upstream(FakeUpstream::closeAfterRequest());
  start({"--upstream", "http://127.0.0.1:" + std::to_string(upstream.port())});
  HttpResponse r = request(gw_->port(), "GET", "/x", {{"x-request-id", "uc"}});
  EXPECT_EQ(r.status, 503);
  auto log = lastAccessLog(*gw_, "uc");
  EXPECT_EQ(log["response_flags"], "UC");
}

TEST_F(GatewayRobustness, UpstreamTimeoutGets504WithFlagUT) {
  FakeUpstream upstream(FakeUpstream::hang(std::chrono::seconds(3)));
  start({"-c", writeConfig("timeout", "clusters:\n  - name: slow\n    address: 127.0.0.1:" +
                                          std::to_string(upstream.port()) +
                                          "\n    timeout_ms: 300\nroute: slow\n")});
  HttpResponse r = request(gw_->port(), "GET", "/x", {{"x-request-id", "ut"}});
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(r.body, "upstream request timeout");
  auto log = lastAccessLog(*gw_, "ut");
  EXPECT_EQ(log["response_flags"], "UT");
  EXPECT_EQ(log["upstream_cluster"], "slow");
}

TEST_F(GatewayRobustness, SlowClientTimesOutWith408) {
  start({"-c", writeConfig("slow", "timeouts:\n  request_headers_ms: 300\n")});
  auto begin = std::chrono::steady_clock::now();
  std::string raw = roundTrip(gw_->port(), "GET /get HTTP/1.1\r\nHost: h\r\n", std::chrono::seconds(5));
  auto took = std::chrono::steady_clock::now() - begin;
  auto r = parseResponse(raw);
  ASSERT_TRUE(r) << raw;
  EXPECT_EQ(r->status, 408);
  EXPECT_LT(took, std::chrono::seconds(3));
}

TEST_F(GatewayRobustness, KeepAliveAndPipelinedRequestsAnswerInOrder) {
  start();
  std::string raw = roundTrip(gw_->port(),
                             "GET /status/201 HTTP/1.1\r\nHost: h\r\n\r\n"
                             "GET /status/202 HTTP/1.1\r\nHost: h\r\n\r\n"
                             "GET /status/418 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  auto all = parseResponses(raw);
  ASSERT_EQ(all.size(), 3u) << raw;
  EXPECT_EQ(all[0].status, 201);
  EXPECT_EQ(all[1].status, 202);
  EXPECT_EQ(all[2].status, 418);
  EXPECT_EQ(all[2].body.size(), 135u);
}

TEST_F(GatewayRobustness, RequestIdAndForwardedProtoAreSetBeforeTheUpstream) {
  start();
  auto upstreamHeaders = [&](const std::string& extra) {
    auto r = parseResponse(roundTrip(
        gw_->port(), "GET /headers HTTP/1.1\r\nHost: h\r\nConnection: close\r\n" + extra + "\r\n"));
    if (!r) return nlohmann::json();
    return nlohmann::json::parse(r->body, nullptr, false)["headers"];
  };
  auto isGeneratedId = [](const nlohmann::json& v) {
    return v.is_string() && v.get<std::string>().size() == 36 && v.get<std::string>()[14] == '4';
  };
  auto none = upstreamHeaders("");
  EXPECT_TRUE(isGeneratedId(none["X-Request-Id"])) << none;
  EXPECT_EQ(none["X-Forwarded-Proto"], "http");
  auto given = upstreamHeaders("X-Request-Id: abc\r\nX-Forwarded-Proto: https\r\n");
  EXPECT_EQ(given["X-Request-Id"], "abc");
  EXPECT_EQ(given["X-Forwarded-Proto"], "http");
  auto two_ids = upstreamHeaders("x-request-id: first\r\nx-request-id: second\r\n");
  EXPECT_EQ(two_ids["X-Request-Id"], "first,second");
  auto repeated = upstreamHeaders("x-request-id: \r\nx-request-id: old\r\n"
                                  "x-forwarded-proto: a\r\nx-forwarded-proto: b\r\n");
  EXPECT_TRUE(isGeneratedId(repeated["X-Request-Id"])) << repeated;
  EXPECT_EQ(repeated["X-Forwarded-Proto"], "http");
}

TEST_F(GatewayRobustness, ChunkedRequestBodyReachesTheUpstream) {
  start();
  auto r = parseResponse(roundTrip(gw_->port(),
                                  "POST /anything HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n"
                                  "0\r\n\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto j = nlohmann::json::parse(r->body);
  EXPECT_EQ(j["data"], "hello world");
  EXPECT_EQ(j["method"], "POST");
}

TEST_F(GatewayRobustness, ChunkedResponseAndTrailersPassThrough) {
  FakeUpstream upstream(FakeUpstream::respond(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: x-checksum\r\n\r\n"
      "4\r\nabcd\r\n3\r\nefg\r\n0\r\nx-checksum: 42\r\n\r\n"));
  start({"--upstream", "http://127.0.0.1:" + std::to_string(upstream.port())});
  HttpResponse r = request(gw_->port(), "GET", "/stream");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header("transfer-encoding"), "chunked");
  EXPECT_EQ(r.body, "abcdefg");
  ASSERT_EQ(r.trailers.size(), 1u) << r.raw;
  EXPECT_EQ(r.trailers[0], (std::pair<std::string, std::string>{"x-checksum", "42"}));
}

TEST_F(GatewayRobustness, ClientDisconnectMidRequestIsLoggedAsDC) {
  start();
  roundTrip(gw_->port(),
           "POST /anything HTTP/1.1\r\nHost: h\r\nx-request-id: dc\r\nContent-Length: 100\r\n\r\n"
           "only part",
           std::chrono::milliseconds(200));
  auto log = lastAccessLog(*gw_, "dc");
  EXPECT_EQ(log["response_flags"], "DC");
  EXPECT_EQ(log["response_code"], 0);
  EXPECT_EQ(log["bytes_received"], 9);
}

// A client that shuts down its side right after a keep-alive request and is answered at once
// (here by the plugin's local reply) gets the whole response, and the gateway then closes the
// connection within about a second, not at the idle timeout (60 s). The request is the second
// on its connection: its bytes and the FIN arrive while the gateway's read waits for them, so
// the FIN usually comes in with the bytes and only the idle check finds it.
TEST_F(GatewayRobustness, AClientThatClosesWithItsKeepAliveRequestIsAnsweredThenClosedSoon) {
  std::string module = wasmModule("header_auth.wasm");
  ASSERT_FALSE(module.empty()) << "header_auth.wasm not built in " << wasmDir();
  start({"--plugin", module});
  if (HasFatalFailure()) return;
  const std::string request = "GET /status/418 HTTP/1.1\r\nHost: h\r\n\r\n";
  for (int i = 0; i < 5; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(gw_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    // Reads until `done` says the bytes are complete, the peer closes, or 10 s pass.
    auto readUntil = [fd](const std::function<bool(const std::string&)>& done) {
      std::string out;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!done(out)) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        pollfd p{fd, POLLIN, 0};
        if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
      }
      return out;
    };
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    std::string first = readUntil([](const std::string& raw) {
      auto r = parseResponse(raw);
      return r && r->length == raw.size() && !r->body.empty();
    });
    auto r1 = parseResponse(first);
    ASSERT_TRUE(r1) << first;
    EXPECT_EQ(r1->status, 403);

    auto begin = std::chrono::steady_clock::now();
    ASSERT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    ::shutdown(fd, SHUT_WR);
    std::string second = readUntil([](const std::string&) { return false; });  // to the close
    auto elapsed = std::chrono::steady_clock::now() - begin;
    ::close(fd);
    auto r2 = parseResponse(second);
    ASSERT_TRUE(r2) << second;
    EXPECT_EQ(r2->status, 403);
    EXPECT_EQ(r2->body, "Forbidden by ASM Wasm Plugin, cpp version\n");
    EXPECT_LT(elapsed, std::chrono::seconds(5)) << "round " << i << ": the connection stayed open";
  }
}

TEST_F(GatewayRobustness, GarbageAndBinaryInputNeverTakeTheGatewayDown) {
  start();
  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  roundTrip(gw_->port(), garbage, std::chrono::milliseconds(500));
  roundTrip(gw_->port(), "GET /get HTTP/1.1\r\nHost: h\r\nx-bin: \xfd\xff\r\n\r\n",
            std::chrono::milliseconds(500));
  HttpResponse binary = request(gw_->port(), "POST", "/anything", {}, std::string("\xfd\x00\x01", 3));
  EXPECT_EQ(binary.status, 200) << binary.raw;
  EXPECT_NE(binary.body.find("data:application/octet-stream;base64,/QAB"), std::string::npos);
  EXPECT_EQ(request(gw_->adminPort(), "GET", "/ready").status, 200);
  EXPECT_EQ(request(gw_->port(), "GET", "/status/200").status, 200);
}

TEST_F(GatewayRobustness, SigtermDrainsAnInFlightRequestBeforeExiting) {
  start();
  HttpResponse slow;
  std::thread client([&] { slow = request(gw_->port(), "GET", "/delay/1"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(gw_->terminate(SIGTERM), 0);
  client.join();
  EXPECT_EQ(slow.status, 200) << slow.raw;
  EXPECT_NE(gw_->err().find("meshwasm run: draining"), std::string::npos);
}

TEST_F(GatewayRobustness, YamlErrorsNameFileLineAndField) {
  std::string path = writeConfig("bad", "listen: 127.0.0.1:0\nworkers: many\n");
  std::string err;
  EXPECT_EQ(GatewayProcess::runToExit({"-c", path}, &err), 2);
  EXPECT_NE(err.find(path + ":2: workers: expected an integer in [0, 256]"), std::string::npos)
      << err;
}

}  // namespace
}  // namespace meshwasm::e2e
