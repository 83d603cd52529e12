#include "socket_reader.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <boost/asio/error.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/query.hpp>
#include <boost/version.hpp>

#include <cassert>
#include <cerrno>

// The reactor calls used here (epoll_reactor::start_op, reactor_op, the descriptor's
// try-at-once rule and edge-triggered registration) were read in Boost 1.74's sources; another
// version must be checked against them before this builds.
static_assert(BOOST_VERSION / 100 == 1074,
              "socket_reader.cc relies on Boost.Asio 1.74's epoll reactor: check "
              "epoll_reactor::start_op and descriptor_state::perform_io of this Boost version");

namespace meshwasm::gateway {

namespace asio = boost::asio;
using boost::system::error_code;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
ssize_t recvNow(int fd, void* data, size_t size, int flags) {
  return ::recv(fd, data, size, flags);
}
static ssize_t sendCall(int fd, const void* data, size_t size) {
  return ::send(fd, data, size, MSG_NOSIGNAL);
}
#else
ssize_t recvNow(int fd, void* data, size_t size, int flags) {
  return ::syscall(SYS_recvfrom, fd, data, size, flags, nullptr, nullptr);
}
static ssize_t sendCall(int fd, const void* data, size_t size) {
  return ::syscall(SYS_sendto, fd, data, size, MSG_NOSIGNAL, nullptr, 0);
}
#endif

size_t sendNow(int fd, const void* data, size_t size, error_code& ec) {
  for (;;) {
    const ssize_t n = sendCall(fd, data, size);
    if (n >= 0) {
      ec = error_code();
      return static_cast<size_t>(n);
    }
    if (errno == EINTR) continue;
    ec = (errno == EAGAIN || errno == EWOULDBLOCK)
             ? error_code(asio::error::would_block)
             : error_code(errno, asio::error::get_system_category());
    return 0;
  }
}

SocketReader::SocketReader(ReactorSocket& socket, Callback callback, void* target)
    : reactor_op(error_code(), &SocketReader::perform, &SocketReader::complete),
      socket_(socket),
      reactor_(asio::use_service<asio::detail::reactor>(
          asio::query(socket.get_executor(), asio::execution::context))),
      callback_(callback),
      target_(target) {}

SocketReader::~SocketReader() { assert(!pending_); }

void SocketReader::start(asio::mutable_buffer buffer, std::shared_ptr<void> keep, Wait wait) {
  assert(!pending_ && buffer.size() > 0);
  data_ = static_cast<char*>(buffer.data());
  size_ = buffer.size();
  keep_ = std::move(keep);
  ec_ = error_code();
  bytes_transferred_ = 0;
  pending_ = true;
  ++started_;
  skip_try_ = wait == Wait::IfDrained && in_callback_ && may_wait_;
  may_wait_ = false;
  untried_ = false;
  if (!socket_.non_blocking()) {
    error_code ec;
    socket_.non_blocking(true, ec);
    if (ec) {
      ec_ = ec;
      reactor_.post_immediate_completion(this, false);
      return;
    }
  }
  auto& impl = socket_.impl_.get_implementation();
  starting_ = true;
  reactor_.start_op(asio::detail::reactor::read_op, impl.socket_, impl.reactor_data_, this,
                    /*is_continuation=*/false, /*allow_speculative=*/true);
  starting_ = false;
  skip_try_ = false;
}

asio::detail::reactor_op::status SocketReader::perform(reactor_op* base) {
  auto* self = static_cast<SocketReader*>(base);
  const bool first_try = self->starting_;
  if (first_try && self->skip_try_) {
    self->skip_try_ = false;
    self->untried_ = true;
    ++self->waited_without_trying_;
    return not_done;  // queued for the next readiness event, with no system call
  }
  for (;;) {
    const ssize_t n = recvNow(self->socket_.native_handle(), self->data_, self->size_);
    if (n > 0) {
      self->ec_ = error_code();
      self->bytes_transferred_ = static_cast<size_t>(n);
      // Read on an event, alone on the socket (so completed right after this, before the
      // reactor polls again), and fewer bytes than asked: the socket is drained.
      self->drained_by_reactor_ =
          !first_try && self->other_ops_ == 0 && static_cast<size_t>(n) < self->size_;
      return done;
    }
    if (n == 0) {
      self->ec_ = asio::error::eof;
      self->bytes_transferred_ = 0;
      return done_and_exhausted;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return not_done;
    self->ec_ = error_code(errno, asio::error::get_system_category());
    self->bytes_transferred_ = 0;
    return done;
  }
}

void SocketReader::complete(void* owner, asio::detail::operation* base, const error_code&,
                            std::size_t) {
  auto* self = static_cast<SocketReader*>(static_cast<reactor_op*>(base));
  self->pending_ = false;
  // Holds the owner (and so this reader) until the end of this function.
  std::shared_ptr<void> keep = std::move(self->keep_);
  if (owner == nullptr) return;  // dropped unrun: the io_context is shutting down
  const error_code ec = self->ec_;
  const size_t bytes = self->bytes_transferred_;
  self->may_wait_ = self->drained_by_reactor_;
  self->drained_by_reactor_ = false;
  self->in_callback_ = true;
  self->callback_(self->target_, ec, bytes);
  self->in_callback_ = false;
  self->may_wait_ = false;
}

}  // namespace meshwasm::gateway
