#include "session.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <random>

#include "active_stream.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

std::string endpointText(const asio::ip::tcp::endpoint& ep) {
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}

constexpr size_t kMaxPipelinedBytes = 1 << 20;
// How long a keep-alive connection waits for its next request before the idle check looks for
// a close that came with the last one.
constexpr std::chrono::milliseconds kIdleCheckDelay{1000};

}  // namespace

Session::Session(Worker& worker, asio::ip::tcp::socket socket)
    : worker_(worker),
      socket_(std::move(socket)),
      reader_(socket_, &Session::readDone, this),
      timer_(worker.io),
      decoder_(MessageDecoder::forRequests(
          *this, DecoderLimits{worker.config.max_request_headers_bytes,
                               worker.config.max_request_body_bytes})) {
  error_code ec;
  auto local = socket_.local_endpoint(ec);
  if (!ec) local_address_ = endpointText(local);
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_address_ = endpointText(remote);
    remote_ip_ = remote.address().to_string();
  }
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  // First write attempts are direct non-blocking sends.
  socket_.non_blocking(true, ec);
  worker_.sessions.insert(this);
  HttpStats::add(worker_.http_stats.cx_total);
  HttpStats::add(worker_.http_stats.cx_active);
}

Session::~Session() {
  worker_.sessions.erase(this);
  HttpStats::add<int64_t>(worker_.http_stats.cx_active, -1);
}

void Session::start() {
  arm(TimerKind::Idle);
  startRead();
}

void Session::drain() {
  if (!stream_ && !decoder_->started()) {
    closeNow();
  } else {
    close_after_stream_ = true;
  }
}

void Session::abort() {
  auto self = shared_from_this();
  if (stream_) {
    stream_->downstreamDisconnected();
    finishStream();
  }
  closeNow();
  stream_storage_.reset();  // before the worker's plugins shut down (Worker::closeAll)
}

// ------------------------------------------------------------------ reading

void Session::startRead() {
  if (reading_ || closed_) return;
  if (in_.size() > kMaxPipelinedBytes) return;  // resumed after the current stream
  reading_ = true;
  // Between requests, a read started right after the last request's bytes may wait for the
  // next ones without a recv() that would find nothing yet (SocketReader). A client that closed
  // together with its last request is then noticed by the idle check (TimerKind::IdleCheck).
  // Inside a request every read tries first, so a client closing mid-request ends the stream
  // at once.
  const bool between_requests = request_complete_ || !decoder_->started();
  reader_.start(asio::buffer(read_buf_), shared_from_this(),
                between_requests ? SocketReader::Wait::IfDrained : SocketReader::Wait::TryFirst);
}

void Session::readDone(void* session, const error_code& ec, size_t n) {
  auto* self = static_cast<Session*>(session);
  self->reading_ = false;
  self->onRead(ec, n);
}

void Session::onRead(const error_code& ec, size_t n) {
  if (closed_) return;
  if (ec == asio::error::operation_aborted && retry_read_) {
    retry_read_ = false;  // cancelled by the idle check: read again, trying the socket first
    startRead();
    return;
  }
  if (ec) {
    if (stream_ && !stream_done_pending_) {
      // The client went away mid-stream: the stream ends (plugins see their end callbacks).
      HttpStats::add(worker_.http_stats.rq_rx_reset);
      stream_->downstreamDisconnected();
      finishStream();
    }
    closeNow();
    return;
  }
  if (stream_ && !request_complete_) arm(TimerKind::StreamIdle);
  {
    EventScope scope(*this);
    std::string_view bytes(read_buf_.data(), n);
    if (in_.empty()) {
      // Decoded where it was read; only what waits (a pipelined request) is kept in in_.
      size_t used = decode(bytes);
      in_.append(bytes.substr(used));
    } else {
      in_.append(bytes);
      parse();
    }
  }
  startRead();
}

void Session::parse() {
  if (!in_.empty()) in_.erase(0, decode(in_));
}

// Nothing reads into read_buf_ while bytes are decoded: a read starts only once the event ends.
size_t Session::decode(std::string_view bytes) {
  size_t used = 0;
  while (!closed_ && used < bytes.size() && !request_complete_ && !close_after_write_) {
    size_t consumed = 0;
    DecodeResult r = decoder_->feed(bytes.substr(used), &consumed);
    used += consumed;
    if (r != DecodeResult::Ok) {
      protocolError(r);
      break;
    }
    if (!stream_ && decoder_->started() && timer_kind_ != TimerKind::RequestHeaders) {
      arm(TimerKind::RequestHeaders);
    }
    if (consumed == 0 || decoder_->complete()) break;
  }
  return used;
}

void Session::onHeaders(HeaderMap headers, bool end_stream) {
  request_keep_alive_ = decoder_->keepAlive();
  request_http10_ = decoder_->http10();
  request_complete_ = end_stream;
  if (end_stream) {
    arm(TimerKind::None);
  } else {
    arm(TimerKind::StreamIdle);
  }
  if (auto expect = decoder_->hasExpect() ? headers.get("expect") : std::nullopt;
      expect && equalsIgnoreCase(*expect, "100-continue")) {
    headers.remove("expect");
    if (!end_stream) write("HTTP/1.1 100 Continue\r\n\r\n");
  }
  HttpStats::add(worker_.http_stats.rq_total);
  HttpStats::add(worker_.http_stats.rq_active);
  // The connection's stream and filter chain, made for its first request, serve the next ones.
  if (!stream_storage_) stream_storage_.emplace(*this);
  stream_ = &*stream_storage_;
  stream_->begin();
  stream_->decodeHeaders(std::move(headers), end_stream);
}

void Session::onData(std::string_view data, bool end_stream) {
  if (end_stream) {
    request_complete_ = true;
    arm(TimerKind::None);
  }
  if (stream_) stream_->decodeData(data, end_stream);
}

void Session::onTrailers(HeaderMap trailers) {
  request_complete_ = true;
  arm(TimerKind::None);
  if (stream_) stream_->decodeTrailers(std::move(trailers));
}

void Session::protocolError(DecodeResult result) {
  HttpStats::add(worker_.http_stats.cx_protocol_error);
  int status = 400;
  std::string_view body = "Bad Request";
  if (result == DecodeResult::HeadersTooLarge) {
    status = 431;
    body = "Request Header Fields Too Large";
  } else if (result == DecodeResult::BodyTooLarge) {
    status = 413;
    body = "Payload Too Large";
  }
  request_complete_ = true;  // nothing more is read from this connection
  close_after_stream_ = true;
  if (stream_ && !stream_done_pending_) {
    stream_->codecError(status, std::string(body));
    return;
  }
  if (stream_) return;
  sendDirect(status, body, true);
}

void Session::sendDirect(int status, std::string_view body, bool close) {
  HeaderMap headers;
  headers.add(":status", std::to_string(status));
  headers.add("content-length", std::to_string(body.size()));
  headers.add("content-type", "text/plain");
  std::string out = encodeResponseHead(headers, false, close);
  out.append(body);
  write(out);
  worker_.http_stats.countResponse(status);
  if (worker_.access_log) {
    StreamInfo info;
    info.start_time = std::chrono::system_clock::now();
    info.start_steady = std::chrono::steady_clock::now();
    info.downstream_local_address = local_address_;
    info.downstream_remote_address = remote_address_;
    info.response_code = status;
    info.response_code_details = status == 408 ? "request_headers_timeout" : "http1.codec_error";
    info.bytes_sent = body.size();
    worker_.access_log->write(formatAccessLog(info, nullptr));
  }
  if (close) {
    close_after_write_ = true;
    flush();
  }
}

// ------------------------------------------------------------------ writing

// Only the read handler opens this scope, and it holds the session: no reference is taken.
Session::EventScope::EventScope(Session& session) : session_(session) {
  if (session_.event_depth_++ == 0) session_.event_now_taken_ = false;
}

Session::EventScope::~EventScope() { session_.leaveEvent(); }

void Session::enterEvent() {
  if (event_depth_++ == 0) {
    event_keep_alive_ = shared_from_this();
    event_now_taken_ = false;
  }
}

std::chrono::steady_clock::time_point Session::now() {
  if (event_depth_ == 0) return std::chrono::steady_clock::now();
  if (!event_now_taken_) {
    event_now_ = std::chrono::steady_clock::now();
    event_now_taken_ = true;
  }
  return event_now_;
}

void Session::leaveEvent() {
  if (--event_depth_ > 0) return;
  std::shared_ptr<Session> keep = std::move(event_keep_alive_);
  endEvent();
}

// The outermost event scope closed: send what the event produced and end the stream if it
// completed. Ending a stream may start (and even complete) the next pipelined request, whose
// output belongs to this event too.
void Session::endEvent() {
  ++event_depth_;
  for (;;) {
    flush();
    if (!stream_done_pending_ || deferred_posted_) break;
    finishStream();
  }
  --event_depth_;
}

void Session::write(std::string_view bytes) {
  if (closed_) return;
  out_.append(bytes);
  // Coalesce: what the current event produces (head and body) leaves in one send.
  if (writing_ || event_depth_ > 0) return;
  post();
}

// One posted task per event does both the coalesced flush and the end of the stream.
void Session::post() {
  if (deferred_posted_) return;
  deferred_posted_ = true;
  auto self = shared_from_this();
  asio::post(worker_.io, [self] { self->runDeferred(); });
}

void Session::runDeferred() {
  deferred_posted_ = false;
  flush();
  if (stream_done_pending_) finishStream();
}

void Session::flush() {
  if (writing_ || closed_) return;
  if (out_.empty()) {
    if (close_after_write_ && !lingering_) {
      error_code ignored;
      socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      // Let the client read the response before the connection goes (lingering close).
      lingering_ = true;
      timer_kind_ = TimerKind::None;
      timer_deadline_ = std::chrono::steady_clock::time_point::max();
      ++timer_seq_;
      timer_waiting_ = true;
      timer_.expires_after(std::chrono::milliseconds(1000));
      auto self = shared_from_this();
      timer_.async_wait([self](const error_code&) { self->closeNow(); });
    }
    return;
  }
  write_buf_.swap(out_);
  // Send now (one syscall, no completion to dispatch); the asynchronous write takes over only
  // for what the socket did not accept.
  error_code ec;
  size_t n = sendNow(socket_.native_handle(), write_buf_.data(), write_buf_.size(), ec);
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
    write_buf_.clear();
    writing_ = true;  // nothing more is written
    auto self = shared_from_this();
    asio::post(worker_.io, [self] {
      self->writing_ = false;
      self->onWriteError();
    });
    return;
  }
  if (!ec && n == write_buf_.size()) {
    write_buf_.clear();
    if (!out_.empty() || close_after_write_) flush();
    return;
  }
  if (ec) n = 0;
  writing_ = true;
  auto self = shared_from_this();
  asio::async_write(socket_, asio::buffer(write_buf_) + n,
                    [self, other = SocketReader::OtherOperation(reader_)](const error_code& ec,
                                                                          size_t) {
    self->writing_ = false;
    self->write_buf_.clear();
    if (ec) {
      self->onWriteError();
      return;
    }
    self->flush();
  });
}

void Session::onWriteError() {
  if (stream_ && !stream_done_pending_) {
    stream_->downstreamDisconnected();
    finishStream();
  }
  closeNow();
}

void Session::responseComplete(bool close_connection) {
  if (close_connection) close_after_stream_ = true;
  if (stream_done_pending_) return;
  stream_done_pending_ = true;
  if (event_depth_ == 0) post();
}

void Session::resetStream() {
  close_after_stream_ = true;
  if (!stream_done_pending_) {
    stream_done_pending_ = true;
    if (event_depth_ == 0) post();
  }
  error_code ignored;
  socket_.set_option(asio::socket_base::linger(true, 0), ignored);
  closeNow();
}

void Session::finishStream() {
  stream_done_pending_ = false;
  if (!stream_) return;
  bool request_complete = request_complete_;
  ActiveStream* stream = stream_;
  stream_ = nullptr;
  stream->finalize();
  // The next request's map is built in this one's storage (no allocation per request).
  HeaderMap used;
  if (HeaderMap* headers = stream->requestHeaders()) used = std::move(*headers);
  stream->end();
  HttpStats::add<int64_t>(worker_.http_stats.rq_active, -1);
  if (closed_) {
    stream_storage_.reset();  // no next request: the filters (and their VMs) are let go
    return;
  }
  if (!request_complete || close_after_stream_ || !request_keep_alive_ || worker_.draining) {
    stream_storage_.reset();
    close_after_write_ = true;
    flush();
    return;
  }
  decoder_->reset();
  decoder_->reuseHeaders(std::move(used));
  request_complete_ = false;
  timer_kind_ = TimerKind::None;
  parse();  // a pipelined request arms its own timers
  startRead();
  if (!stream_ && !decoder_->started()) {
    // Idle. When the read waiting for the next request skipped its try, the idle check comes
    // first.
    arm(reader_.waitingUntried() ? TimerKind::IdleCheck : TimerKind::Idle);
  }
}

void Session::closeNow() {
  if (closed_) return;
  closed_ = true;
  timer_kind_ = TimerKind::None;
  timer_deadline_ = std::chrono::steady_clock::time_point::max();
  timer_.cancel();
  error_code ignored;
  socket_.close(ignored);
}

// ------------------------------------------------------------------ timers

// The read waiting for the next request skipped its first try, so a client that closed
// together with its last request has not been noticed (see socket_reader.h). One look at the
// socket, taking nothing from it.
void Session::idleCheck() {
  if (!reader_.waitingUntried()) {
    arm(TimerKind::Idle);
    return;
  }
  char byte = 0;
  ssize_t n;
  do {
    n = recvNow(socket_.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  } while (n < 0 && errno == EINTR);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
    closeNow();  // the client has closed (or the connection failed): nothing more will come
    return;
  }
  if (n > 0) {
    // Bytes that no readiness event announced (not expected: every arrival after a drained
    // read raises one). The waiting read is cancelled and started again, trying first.
    retry_read_ = true;
    error_code ignored;
    socket_.cancel(ignored);
  }
  arm(TimerKind::Idle);
}

void Session::arm(TimerKind kind) {
  if (lingering_) return;
  timer_kind_ = kind;
  std::chrono::milliseconds d{0};
  switch (kind) {
    case TimerKind::None: break;
    case TimerKind::Idle: d = worker_.config.idle_timeout; break;
    case TimerKind::IdleCheck:
      d = worker_.config.idle_timeout.count() > 0
              ? std::min(kIdleCheckDelay, worker_.config.idle_timeout)
              : kIdleCheckDelay;
      break;
    case TimerKind::RequestHeaders: d = worker_.config.request_headers_timeout; break;
    case TimerKind::StreamIdle: d = worker_.config.stream_idle_timeout; break;
  }
  if (d.count() <= 0) {
    timer_deadline_ = std::chrono::steady_clock::time_point::max();
    return;  // a pending wait finds no deadline and stops
  }
  timer_deadline_ = now() + d;
  if (timer_waiting_ && timer_.expiry() <= timer_deadline_) return;  // re-waits when it fires
  waitTimer();
}

void Session::waitTimer() {
  timer_.expires_at(timer_deadline_);  // cancels a later pending wait (its sequence is stale)
  timer_waiting_ = true;
  uint64_t seq = ++timer_seq_;
  auto self = shared_from_this();
  timer_.async_wait([self, seq](const error_code& ec) {
    if (seq != self->timer_seq_) return;
    self->timer_waiting_ = false;
    if (ec || self->closed_ || self->lingering_) return;
    if (self->timer_deadline_ == std::chrono::steady_clock::time_point::max()) return;
    if (std::chrono::steady_clock::now() < self->timer_deadline_) {
      self->waitTimer();
      return;
    }
    self->timer_deadline_ = std::chrono::steady_clock::time_point::max();
    self->onTimer(self->timer_kind_);
  });
}

void Session::onTimer(TimerKind kind) {
  timer_kind_ = TimerKind::None;
  switch (kind) {
    case TimerKind::None: return;
    case TimerKind::Idle:
      if (!stream_ && !decoder_->started()) closeNow();
      return;
    case TimerKind::IdleCheck:
      if (!stream_ && !decoder_->started()) idleCheck();
      return;
    case TimerKind::RequestHeaders:
      if (stream_) return;
      HttpStats::add(worker_.http_stats.rq_timeout);
      sendDirect(408, "request timeout", true);
      return;
    case TimerKind::StreamIdle:
      if (!stream_ || request_complete_) return;
      HttpStats::add(worker_.http_stats.rq_timeout);
      request_complete_ = true;
      close_after_stream_ = true;
      stream_->streamIdleTimeout();
      return;
  }
}

}  // namespace meshwasm::gateway
