// The h2c client against the built-in gRPC service over loopback: unary calls, streams,
// statuses, multiplexing on one connection, and failures (refused, reset, deadline, cancel).
#include "h2c_client.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <set>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "grpc_service.h"
#include "grpc_wire.h"

namespace meshwasm::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using std::chrono::milliseconds;

// Everything one call reported, in order.
struct Recorder {
  std::vector<std::string> order;
  GrpcMetadata initial, trailing;
  std::vector<std::string> messages;
  bool closed = false;
  uint32_t status = 99;
  std::string status_message;

  GrpcCallEvents events() {
    GrpcCallEvents e;
    e.on_initial_metadata = [this](GrpcMetadata m) {
      order.push_back("initial");
      initial = std::move(m);
    };
    e.on_message = [this](std::string m) {
      order.push_back("message");
      messages.push_back(std::move(m));
    };
    e.on_trailing_metadata = [this](GrpcMetadata m) {
      order.push_back("trailing");
      trailing = std::move(m);
    };
    e.on_close = [this](uint32_t s, std::string m) {
      order.push_back("close");
      closed = true;
      status = s;
      status_message = std::move(m);
    };
    return e;
  }
};

std::string metadataValue(const GrpcMetadata& metadata, std::string_view name) {
  for (const auto& [key, value] : metadata) {
    if (key == name) return value;
  }
  return "<absent>";
}

class H2cClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = GrpcServer::start(io_, "127.0.0.1", 0);
    ASSERT_TRUE(server) << server.message();
    server_ = std::move(*server);
    client_ = std::make_unique<H2cClient>(io_, "127.0.0.1", server_->port());
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->stop();
    io_.restart();
    io_.run_for(milliseconds(50));
  }

  // Runs the io_context until `done` holds (at most 5 s).
  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(milliseconds(5));
    }
    return done();
  }

  GrpcCallOptions options(std::string method, milliseconds timeout = milliseconds(0)) {
    GrpcCallOptions o;
    o.authority = "httpbin";
    o.service = std::string(kHttpbinGrpcService);
    o.method = std::move(method);
    o.timeout = timeout;
    return o;
  }

  asio::io_context io_;
  std::unique_ptr<GrpcServer> server_;
  std::unique_ptr<H2cClient> client_;
};

TEST_F(H2cClientTest, UnaryUuidCallGetsOneMessageThenOk) {
  Recorder r;
  const uint64_t call = client_->start(options("Uuid", milliseconds(5000)), r.events());
  EXPECT_NE(call, 0u);
  EXPECT_TRUE(client_->send(call, "", true));
  ASSERT_TRUE(runUntil([&] { return r.closed; }));
  EXPECT_EQ(r.order, (std::vector<std::string>{"initial", "message", "trailing", "close"}));
  EXPECT_EQ(metadataValue(r.initial, "content-type"), "application/grpc");
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].size(), 38u);  // 0x0a, 36, the uuid
  EXPECT_EQ(r.messages[0].substr(0, 2), "\x0a\x24");
  EXPECT_EQ(r.status, kGrpcOk);
  EXPECT_EQ(r.status_message, "");
  EXPECT_EQ(client_->activeCalls(), 0u);
  EXPECT_EQ(server_->callsServed(), 1u);
}

TEST_F(H2cClientTest, TrailersOnlyAnswerCarriesStatusAndDecodedMessage) {
  Recorder r;
  const uint64_t call = client_->start(options("Status"), r.events());
  client_->send(call, encodeStatusRequest(7, "50% denied"), true);
  ASSERT_TRUE(runUntil([&] { return r.closed; }));
  EXPECT_EQ(r.order, (std::vector<std::string>{"trailing", "close"}));
  EXPECT_EQ(r.status, 7u);
  EXPECT_EQ(r.status_message, "50% denied");
  EXPECT_TRUE(r.messages.empty());
}

TEST_F(H2cClientTest, UnknownMethodIsUnimplemented) {
  Recorder r;
  const uint64_t call = client_->start(options("Nope"), r.events());
  client_->send(call, "", true);
  ASSERT_TRUE(runUntil([&] { return r.closed; }));
  EXPECT_EQ(r.status, kGrpcUnimplemented);
  EXPECT_EQ(r.status_message, "unknown method /meshwasm.httpbin.Httpbin/Nope");
}

TEST_F(H2cClientTest, StreamSendsSeveralMessagesThenHalfCloses) {
  Recorder r;
  const uint64_t call = client_->start(options("Echo"), r.events());
  EXPECT_TRUE(client_->send(call, "one", false));
  io_.restart();
  io_.run_for(milliseconds(50));  // the first message goes out on its own
  EXPECT_TRUE(client_->send(call, std::string(100000, 'b'), false));
  EXPECT_TRUE(client_->send(call, "three", false));
  EXPECT_TRUE(client_->halfClose(call));
  EXPECT_FALSE(client_->send(call, "late", false));
  EXPECT_FALSE(client_->halfClose(call));
  ASSERT_TRUE(runUntil([&] { return r.closed; }));
  EXPECT_EQ(r.status, kGrpcOk);
  EXPECT_EQ(r.messages, (std::vector<std::string>{"one", std::string(100000, 'b'), "three"}));
}

TEST_F(H2cClientTest, ConcurrentCallsShareOneConnection) {
  std::vector<Recorder> recorders(20);
  for (auto& r : recorders) {
    const uint64_t call = client_->start(options("Uuid"), r.events());
    client_->send(call, "", true);
  }
  ASSERT_TRUE(runUntil([&] {
    for (auto& r : recorders) {
      if (!r.closed) return false;
    }
    return true;
  }));
  std::set<std::string> uuids;
  for (auto& r : recorders) {
    EXPECT_EQ(r.status, kGrpcOk);
    ASSERT_EQ(r.messages.size(), 1u);
    uuids.insert(r.messages[0]);
  }
  EXPECT_EQ(uuids.size(), 20u);
  EXPECT_EQ(client_->connectionsOpened(), 1u);
}

TEST_F(H2cClientTest, CancelledCallReportsNothing) {
  Recorder r;
  const uint64_t call = client_->start(options("Uuid"), r.events());
  client_->send(call, "", true);
  EXPECT_TRUE(client_->cancel(call));
  EXPECT_FALSE(client_->cancel(call));
  EXPECT_EQ(client_->activeCalls(), 0u);
  Recorder after;
  const uint64_t next = client_->start(options("Uuid"), after.events());
  client_->send(next, "", true);
  ASSERT_TRUE(runUntil([&] { return after.closed; }));
  EXPECT_TRUE(r.order.empty());
  EXPECT_EQ(after.status, kGrpcOk);
}

TEST_F(H2cClientTest, RefusedConnectionIsUnavailable) {
  tcp::acceptor probe(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const uint16_t port = probe.local_endpoint().port();
  probe.close();
  H2cClient client(io_, "127.0.0.1", port);
  Recorder r;
  const uint64_t call = client.start(options("Uuid"), r.events());
  client.send(call, "", true);
  ASSERT_TRUE(runUntil([&] { return r.closed; }));
  EXPECT_EQ(r.order, (std::vector<std::string>{"close"}));
  EXPECT_EQ(r.status, kGrpcUnavailable);
  EXPECT_TRUE(r.status_message.starts_with("upstream connect error: ")) << r.status_message;
  // The next call connects again.
  Recorder again;
  client.start(options("Uuid"), again.events());
  ASSERT_TRUE(runUntil([&] { return again.closed; }));
  EXPECT_EQ(client.connectionsOpened(), 2u);
}

TEST_F(H2cClientTest, SilentUpstreamHitsTheDeadline) {
  tcp::acceptor silent(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  tcp::socket accepted(io_);
  silent.async_accept(accepted, [](boost::system::error_code) {});
  H2cClient client(io_, "127.0.0.1", silent.local_endpoint().port());
  Recorder r;
  const auto started = std::chrono::steady_clock::now();
  const uint64_t call = client.start(options("Uuid", milliseconds(150)), r.events());
  client.send(call, "", true);
  ASSERT_TRUE(runUntil([&] { return r.closed; }));
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(150));
  EXPECT_EQ(r.status, kGrpcDeadlineExceeded);
  EXPECT_EQ(r.status_message, "deadline exceeded");
}

TEST_F(H2cClientTest, UpstreamClosingTheConnectionIsUnavailable) {
  tcp::acceptor closing(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  auto accepted = std::make_shared<tcp::socket>(io_);
  closing.async_accept(*accepted, [accepted](boost::system::error_code) { accepted->close(); });
  H2cClient client(io_, "127.0.0.1", closing.local_endpoint().port());
  Recorder r;
  const uint64_t call = client.start(options("Uuid"), r.events());
  client.send(call, "", true);
  ASSERT_TRUE(runUntil([&] { return r.closed; }));
  EXPECT_EQ(r.status, kGrpcUnavailable);
  EXPECT_FALSE(r.status_message.empty());
}

TEST_F(H2cClientTest, ServerDropsHttp1Connections) {
  // An HTTP/1.1 request is not HTTP/2: the server drops the connection without answering.
  tcp::socket socket(io_);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string received;
  bool done = false;
  std::array<char, 1024> buffer{};
  std::function<void()> readMore = [&] {
    socket.async_read_some(asio::buffer(buffer), [&](boost::system::error_code ec, size_t n) {
      if (ec) {
        done = true;
        return;
      }
      received.append(buffer.data(), n);
      readMore();
    });
  };
  readMore();
  ASSERT_TRUE(runUntil([&] { return done; }));
  EXPECT_EQ(received.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_EQ(server_->callsServed(), 0u);
}

}  // namespace
}  // namespace meshwasm::gateway
