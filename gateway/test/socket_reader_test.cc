// SocketReader on a real loopback TCP connection: the bytes and errors each read delivers, when
// a read waits for readiness without trying the socket first (only when started in the
// callback of a read that drained the socket on a readiness event, with no other operation on
// the socket), and what happens to a waiting read when the socket closes or the io_context
// goes away.
#include "socket_reader.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace meshwasm::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;
using namespace std::chrono_literals;

// One end of a connection read through a SocketReader; the other end is a plain blocking
// descriptor the test writes to.
class Reading : public std::enable_shared_from_this<Reading> {
 public:
  explicit Reading(tcp::socket socket)
      : socket(std::move(socket)), reader(this->socket, &Reading::done, this) {}

  void read() { reader.start(asio::buffer(buffer), shared_from_this(), wait); }

  ReactorSocket socket;
  SocketReader reader;
  std::array<char, 8> buffer{};
  SocketReader::Wait wait = SocketReader::Wait::IfDrained;
  std::vector<std::pair<error_code, std::string>> events;
  // Runs inside the read's callback.
  std::function<void(Reading&)> on_read;

 private:
  static void done(void* target, const error_code& ec, size_t n) {
    auto* self = static_cast<Reading*>(target);
    self->events.emplace_back(ec, std::string(self->buffer.data(), n));
    if (self->on_read) self->on_read(*self);
  }
};

class SocketReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_ = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(client_, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(acceptor.local_endpoint().port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(client_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    tcp::socket server(io_);
    acceptor.accept(server);
    reading_ = std::make_shared<Reading>(std::move(server));
  }
  void TearDown() override {
    if (client_ >= 0) ::close(client_);
  }

  void send(const std::string& bytes) {
    ASSERT_EQ(::send(client_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Runs the io_context until `count` reads have completed (or 5 s have passed).
  void runUntilEvents(size_t count) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (reading_->events.size() < count && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(20ms);
    }
    ASSERT_EQ(reading_->events.size(), count);
  }
  // Every successful read starts the next one in its callback (a keep-alive connection).
  void keepReading() {
    reading_->on_read = [](Reading& r) {
      if (!r.events.back().first) r.read();
    };
  }
  // Runs what is ready now, without waiting for anything new.
  void runReady() {
    io_.restart();
    io_.poll();
  }

  asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  int client_ = -1;
  std::shared_ptr<Reading> reading_;
};

// The keep-alive pattern: each read starts the next one in its callback, before the peer has
// sent anything more.
TEST_F(SocketReaderTest, AReadStartedInTheCallbackOfADrainingReadWaitsWithoutTrying) {
  keepReading();
  reading_->read();
  runReady();
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 0u);  // the first read tries at once

  send("one");
  runUntilEvents(1);
  EXPECT_FALSE(reading_->events[0].first);
  EXPECT_EQ(reading_->events[0].second, "one");
  EXPECT_EQ(reading_->reader.started(), 2u);
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 1u);
  EXPECT_TRUE(reading_->reader.pending());
  EXPECT_TRUE(reading_->reader.waitingUntried());

  send("two");
  runUntilEvents(2);
  EXPECT_EQ(reading_->events[1].second, "two");
  EXPECT_EQ(reading_->reader.started(), 3u);
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 2u);
}

TEST_F(SocketReaderTest, TryFirstReadsAlwaysTry) {
  reading_->wait = SocketReader::Wait::TryFirst;
  keepReading();
  reading_->read();
  send("one");
  runUntilEvents(1);
  send("two");
  runUntilEvents(2);
  EXPECT_EQ(reading_->events[1].second, "two");
  EXPECT_EQ(reading_->reader.started(), 3u);
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 0u);
  EXPECT_FALSE(reading_->reader.waitingUntried());
}

// The limit of skipping: a FIN that came in with the last bytes is taken with them, and no
// event reports it. The waiting read says it skipped its try; a try (here recv with MSG_PEEK,
// as the session's idle check does) finds the close.
TEST_F(SocketReaderTest, AFinThatCameWithTheLastBytesIsOnlyFoundByATry) {
  keepReading();
  reading_->read();
  runReady();
  send("bye");
  ::shutdown(client_, SHUT_WR);
  // Both are in the server socket's queue before the reactor polls.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  char probe = 0;
  while (::recv(reading_->socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT) <= 0 &&
         std::chrono::steady_clock::now() < deadline) {
  }
  std::this_thread::sleep_for(20ms);
  runUntilEvents(1);
  EXPECT_EQ(reading_->events[0].second, "bye");
  io_.run_for(100ms);
  EXPECT_EQ(reading_->events.size(), 1u);  // no event for the FIN
  EXPECT_TRUE(reading_->reader.waitingUntried());
  EXPECT_EQ(::recv(reading_->socket.native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT), 0);
}

TEST_F(SocketReaderTest, WithTryFirstAFinThatCameWithTheLastBytesEndsTheNextRead) {
  reading_->wait = SocketReader::Wait::TryFirst;
  keepReading();
  reading_->read();
  runReady();
  send("bye");
  ::shutdown(client_, SHUT_WR);
  std::this_thread::sleep_for(20ms);
  runUntilEvents(2);
  EXPECT_EQ(reading_->events[0].second, "bye");
  EXPECT_EQ(reading_->events[1].first, asio::error::eof);
}

// Bytes that arrive between the read and the next one are not lost: the reactor reports them.
TEST_F(SocketReaderTest, BytesSentRightAfterADrainingReadAreDelivered) {
  reading_->on_read = [this](Reading& r) {
    if (r.events.size() == 1) send("late");  // before the next read is even started
    if (!r.events.back().first) r.read();
  };
  reading_->read();
  send("early");
  runUntilEvents(2);
  EXPECT_EQ(reading_->events[0].second, "early");
  EXPECT_EQ(reading_->events[1].second, "late");
}

TEST_F(SocketReaderTest, AReadThatFillsTheBufferIsFollowedByATryAtOnce) {
  keepReading();
  reading_->read();
  runReady();
  send("0123456789ABCDEF!!");  // 18 bytes into an 8-byte buffer
  runUntilEvents(3);
  EXPECT_EQ(reading_->events[0].second, "01234567");
  EXPECT_EQ(reading_->events[1].second, "89ABCDEF");
  EXPECT_EQ(reading_->events[2].second, "!!");
  // The second and third reads followed full ones and tried at once (and found bytes); the one
  // after "!!" followed a read made by such a try, not on a readiness event, so it tried too.
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 0u);
}

TEST_F(SocketReaderTest, AnotherOperationOnTheSocketMakesTheNextReadTryFirst) {
  std::optional<SocketReader::OtherOperation> write(std::in_place, reading_->reader);
  keepReading();
  reading_->read();
  runReady();
  send("x");
  runUntilEvents(1);
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 0u);

  write.reset();
  send("y");
  runUntilEvents(2);
  EXPECT_EQ(reading_->events[1].second, "y");
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 1u);
}

TEST_F(SocketReaderTest, AReadStartedOutsideACallbackTriesFirst) {
  reading_->read();
  send("a");
  runUntilEvents(1);
  EXPECT_FALSE(reading_->reader.pending());
  reading_->read();  // later, from outside the callback
  runReady();
  EXPECT_EQ(reading_->reader.waitedWithoutTrying(), 0u);
  send("b");
  runUntilEvents(2);
  EXPECT_EQ(reading_->events[1].second, "b");
}

TEST_F(SocketReaderTest, BytesAlreadyWaitingAreReadByTheFirstTry) {
  send("ready");
  // Wait until the bytes are in the server socket's receive queue.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (reading_->socket.available() == 0 && std::chrono::steady_clock::now() < deadline) {
  }
  reading_->read();
  runUntilEvents(1);
  EXPECT_EQ(reading_->events[0].second, "ready");
}

TEST_F(SocketReaderTest, ThePeerClosingEndsAReadWithEndOfFile) {
  keepReading();
  reading_->read();
  send("last");
  runUntilEvents(1);
  ::close(client_);
  client_ = -1;
  runUntilEvents(2);
  EXPECT_EQ(reading_->events[1].first, asio::error::eof);
  EXPECT_EQ(reading_->events[1].second, "");
  EXPECT_FALSE(reading_->reader.pending());
}

TEST_F(SocketReaderTest, ClosingTheSocketAbortsAWaitingRead) {
  reading_->read();
  runReady();
  ASSERT_TRUE(reading_->reader.pending());
  error_code ignored;
  reading_->socket.close(ignored);
  runUntilEvents(1);
  EXPECT_EQ(reading_->events[0].first, asio::error::operation_aborted);
  EXPECT_FALSE(reading_->reader.pending());
}

TEST(SocketReader, AReadStillWaitingWhenTheIoContextGoesIsDroppedWithoutItsCallback) {
  std::weak_ptr<Reading> weak;
  auto calls = std::make_shared<int>(0);
  {
    asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    tcp::socket peer(io);
    peer.connect(acceptor.local_endpoint());
    tcp::socket server(io);
    acceptor.accept(server);
    auto reading = std::make_shared<Reading>(std::move(server));
    weak = reading;
    reading->on_read = [calls](Reading&) { ++*calls; };
    reading->read();
    io.poll();
    ASSERT_TRUE(reading->reader.pending());
    reading.reset();
    EXPECT_FALSE(weak.expired());  // the waiting read holds it
  }
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(*calls, 0);
}

// sendNow and recvNow on a non-blocking connected pair: what was sent is what arrives, a full
// send buffer is would_block (not a partial hang), a peer that is gone is an error and no
// SIGPIPE, and recvNow reports "nothing yet" and the peer's close as recv() does.
TEST(SocketCalls, SendNowAndRecvNowMoveBytesAndReportFullBuffersAndClosedPeers) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
  error_code ec;
  EXPECT_EQ(sendNow(pair[0], "hello", 5, ec), 5u);
  EXPECT_FALSE(ec);
  char buffer[16];
  EXPECT_EQ(recvNow(pair[1], buffer, sizeof buffer), 5);
  EXPECT_EQ(std::string(buffer, 5), "hello");
  errno = 0;
  EXPECT_EQ(recvNow(pair[1], buffer, sizeof buffer), -1);
  EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);

  // Fill the send buffer: the last call accepts nothing and says would_block.
  const std::string chunk(65536, 'x');
  size_t total = 0;
  for (int i = 0; i < 10000; ++i) {
    size_t n = sendNow(pair[0], chunk.data(), chunk.size(), ec);
    total += n;
    if (ec) break;
  }
  EXPECT_EQ(ec, asio::error::would_block);
  EXPECT_GT(total, 0u);

  // The peer closes with bytes unread: the sender gets EPIPE, and the test process is still
  // alive (MSG_NOSIGNAL).
  ::close(pair[1]);
  EXPECT_EQ(sendNow(pair[0], "more", 4, ec), 0u);
  EXPECT_EQ(ec, error_code(EPIPE, asio::error::get_system_category()));
  ::close(pair[0]);

  int closed[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, closed), 0);
  ::close(closed[0]);
  EXPECT_EQ(recvNow(closed[1], buffer, sizeof buffer), 0);  // end of stream
  ::close(closed[1]);
}

}  // namespace
}  // namespace meshwasm::gateway
