// Reads of a connection's socket that go straight to waiting for readiness when the previous
// read has drained the socket.
//
// Asio (Boost 1.74) tries every new read on a socket at once, before waiting for the reactor.
// On a keep-alive connection the next read starts right after a request was read (a proxy's
// client and upstream connections both work that way), when the peer has had no time to send
// anything: that first try is a recv() failing with EAGAIN, one wasted system call per request
// per connection. nginx makes no such call: it reads when epoll reports bytes.
//
// The reactor is edge-triggered: a read that returned fewer bytes than it asked for drained the
// socket, and every later arrival raises a new event. A read started inside the handler of
// such a read, before the reactor has polled again, can therefore wait for that event without
// trying first: no event can have been consumed in between. SocketReader is a reactor operation
// that does this; in every other case (the first read, a read after a full buffer, a read
// started later, a read whose completion may have waited behind another operation's) it tries
// the socket first, as Asio's own read does.
//
// One thing a drained read cannot tell: whether the peer's FIN arrived together with its bytes.
// Then the FIN was taken with them, the next recv() would return 0 at once, and no event will
// say so (Asio does not ask epoll for EPOLLRDHUP). So skipping is the owner's choice per read
// (Wait::IfDrained), for reads where noticing a close later is acceptable, and the owner can
// see that a waiting read skipped its try (waitingUntried()) to check for a close itself.
//
// It uses Asio's detail layer (the epoll reactor and its operation type), which Boost does not
// promise to keep: the static_assert in socket_reader.cc pins the Boost version it was checked
// against. Single-threaded io_context only (each worker runs its own).
#pragma once

// io_context.hpp and ip/tcp.hpp first: they complete the scheduler type the reactor uses.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
//
#include <boost/asio/buffer.hpp>
#include <boost/asio/detail/reactor.hpp>
#include <boost/asio/detail/reactor_op.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace meshwasm::gateway {

// recv() and send() of the workers' non-blocking sockets, through the plain system call. glibc's
// recv() and send() are cancellation points: in a multi-threaded process each call also turns
// the thread's asynchronous cancellation on and off (two atomic operations), about 50 ns per
// call here. The gateway never cancels threads, so its hot path skips that. Sanitized builds
// call glibc's functions, which their runtimes intercept to check the buffers and to see the
// synchronization a socket carries.
//
// recvNow returns what recv() returns (errno set on -1). sendNow sends what the socket accepts
// now (MSG_NOSIGNAL): the number of bytes, or 0 with `ec` set (would_block when the send buffer
// is full).
ssize_t recvNow(int fd, void* data, size_t size, int flags = 0);
size_t sendNow(int fd, const void* data, size_t size, boost::system::error_code& ec);

// A TCP socket whose reactor registration SocketReader can reach.
class ReactorSocket : public boost::asio::ip::tcp::socket {
 public:
  explicit ReactorSocket(boost::asio::io_context& io) : boost::asio::ip::tcp::socket(io) {}
  explicit ReactorSocket(boost::asio::ip::tcp::socket&& socket)
      : boost::asio::ip::tcp::socket(std::move(socket)) {}

 private:
  friend class SocketReader;
};

class SocketReader final : private boost::asio::detail::reactor_op {
 public:
  // Called with the read's outcome: bytes > 0 and no error, or an error (eof when the peer
  // closed, operation_aborted when the socket was closed while the read waited).
  using Callback = void (*)(void* target, const boost::system::error_code& ec, size_t bytes);

  // RAII mark of another operation (a write, a connect) outstanding on the same socket: while
  // one exists, a read's completion may be queued behind that operation's, so the read after
  // it tries the socket first.
  class OtherOperation {
   public:
    explicit OtherOperation(SocketReader& reader) : reader_(&reader) { ++reader_->other_ops_; }
    OtherOperation(OtherOperation&& other) noexcept : reader_(other.reader_) {
      other.reader_ = nullptr;
    }
    OtherOperation(const OtherOperation&) = delete;
    OtherOperation& operator=(const OtherOperation&) = delete;
    OtherOperation& operator=(OtherOperation&&) = delete;
    ~OtherOperation() {
      if (reader_ != nullptr) --reader_->other_ops_;
    }

   private:
    SocketReader* reader_;
  };

  SocketReader(ReactorSocket& socket, Callback callback, void* target);
  SocketReader(const SocketReader&) = delete;
  SocketReader& operator=(const SocketReader&) = delete;
  ~SocketReader();

  // Whether a read may skip the first try. A drained read cannot tell whether the peer's FIN
  // came in with its bytes (then no later event reports it), so only an owner for whom a
  // missed close is harmless for a while asks for IfDrained (and checks for it later, see
  // waitingUntried()).
  enum class Wait {
    TryFirst,   // always try the socket first, as Asio's own reads do
    IfDrained,  // skip the try when started in the callback of a draining read
  };

  // Starts a read into `buffer` (it must stay valid until the callback). `keep` is held until
  // the callback has returned, or until the read is dropped unrun when the io_context shuts
  // down. One read at a time.
  void start(boost::asio::mutable_buffer buffer, std::shared_ptr<void> keep, Wait wait);
  bool pending() const { return pending_; }
  // The pending read skipped its first try (the peer may have closed unnoticed).
  bool waitingUntried() const { return pending_ && untried_; }

  // Reads started and how many of them waited for readiness without trying the socket first
  // (for tests).
  uint64_t started() const { return started_; }
  uint64_t waitedWithoutTrying() const { return waited_without_trying_; }

 private:
  static status perform(reactor_op* base);
  static void complete(void* owner, boost::asio::detail::operation* base,
                       const boost::system::error_code& ec, std::size_t bytes);

  ReactorSocket& socket_;
  boost::asio::detail::reactor& reactor_;
  Callback callback_;
  void* target_;
  std::shared_ptr<void> keep_;
  char* data_ = nullptr;
  size_t size_ = 0;
  int other_ops_ = 0;
  bool pending_ = false;
  bool starting_ = false;            // inside start(): a perform now is the first try
  bool skip_try_ = false;            // that first try is skipped
  bool untried_ = false;             // the pending read skipped its first try
  bool drained_by_reactor_ = false;  // this read ran on a readiness event and drained
  bool may_wait_ = false;            // ... so a read started in its callback may just wait
  bool in_callback_ = false;         // the owner's callback is running
  uint64_t started_ = 0;
  uint64_t waited_without_trying_ = 0;
};

}  // namespace meshwasm::gateway
