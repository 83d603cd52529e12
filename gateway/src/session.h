// One downstream HTTP/1.1 connection: reads and decodes requests one at a time (pipelined bytes
// wait), runs each through the filter chain and the router, writes responses in order.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "active_stream.h"
#include "http_codec.h"
#include "socket_reader.h"
#include "worker.h"

namespace meshwasm::gateway {

class Session : public std::enable_shared_from_this<Session>,
                public MessageCallbacks,
                public EventBatch {
 public:
  Session(Worker& worker, boost::asio::ip::tcp::socket socket);
  ~Session() override;
  void start();
  // Graceful drain: close when idle, or after the current response.
  void drain();
  // Ends the current stream as a reset and closes the connection now.
  void abort();

  // Brackets the handling of one event (bytes read, an upstream response event): writes and
  // the end of the stream made inside are carried out when the outermost bracket closes, in
  // one send and without a posted task. Outside any bracket they are posted. EventScope is the
  // bracket for the session's own reads (whose handler holds the session, so the scope takes no
  // reference); enterEvent()/leaveEvent() below are the same bracket.
  class EventScope {
   public:
    explicit EventScope(Session& session);
    ~EventScope();
    EventScope(const EventScope&) = delete;
    EventScope& operator=(const EventScope&) = delete;

   private:
    Session& session_;
  };

  // EventBatch: the bracket for events that arrive through the active stream (upstream
  // responses). The session keeps itself alive from the outermost enterEvent() to its
  // leaveEvent().
  void enterEvent() override;
  void leaveEvent() override;

  // From the active stream.
  void write(std::string_view bytes);
  // Appends bytes for the next write (call write({}) or end an event scope to send them).
  std::string& outputBuffer() { return out_; }
  void responseComplete(bool close_connection);
  void resetStream();
  Worker& worker() { return worker_; }
  const std::string& localAddress() const { return local_address_; }
  const std::string& remoteAddress() const { return remote_address_; }
  const std::string& remoteIp() const { return remote_ip_; }
  bool requestComplete() const { return request_complete_; }
  bool keepAlive() const { return request_keep_alive_; }
  bool http10() const { return request_http10_; }
  // The steady clock as of the current event: its first caller reads the clock and later
  // callers in the same event get that reading, so a request's start, its upstream timing and
  // its timers cost one read. Outside any event, a fresh reading.
  std::chrono::steady_clock::time_point now();

  // MessageCallbacks (request side)
  void onHeaders(HeaderMap headers, bool end_stream) override;
  void onData(std::string_view data, bool end_stream) override;
  void onTrailers(HeaderMap trailers) override;

 private:
  enum class TimerKind { None, Idle, IdleCheck, RequestHeaders, StreamIdle };
  void startRead();
  static void readDone(void* session, const boost::system::error_code& ec, size_t n);
  void onRead(const boost::system::error_code& ec, size_t n);
  // Decodes what waits in in_ (pipelined bytes).
  void parse();
  // Decodes requests from `bytes` as far as the connection's state allows; returns how many
  // bytes were used.
  size_t decode(std::string_view bytes);
  void protocolError(DecodeResult result);
  void sendDirect(int status, std::string_view body, bool close);
  void flush();
  void onWriteError();
  void runDeferred();
  void post();
  void endEvent();
  void arm(TimerKind kind);
  void waitTimer();
  void onTimer(TimerKind kind);
  void idleCheck();
  void finishStream();
  void closeNow();

  Worker& worker_;
  ReactorSocket socket_;
  SocketReader reader_;
  // Lazy timer: arm() only moves the deadline; the pending wait re-waits when it fires early.
  // Saves a timerfd_settime per request (the deadline moves at every request).
  boost::asio::steady_timer timer_;
  TimerKind timer_kind_ = TimerKind::None;
  std::chrono::steady_clock::time_point timer_deadline_ =
      std::chrono::steady_clock::time_point::max();
  uint64_t timer_seq_ = 0;
  bool timer_waiting_ = false;
  bool lingering_ = false;
  std::unique_ptr<MessageDecoder> decoder_;
  // The connection's stream object, made for its first request and reused (begin()/end()) for
  // the next ones with its filter chain until the connection ends; stream_ points at it while a
  // request runs and is null from the moment finishStream() takes it.
  std::optional<ActiveStream> stream_storage_;
  ActiveStream* stream_ = nullptr;
  std::string local_address_;
  std::string remote_address_;
  std::string remote_ip_;
  std::array<char, 16384> read_buf_{};
  std::string in_;
  std::string out_;
  std::string write_buf_;
  int event_depth_ = 0;
  std::chrono::steady_clock::time_point event_now_{};  // the current event's reading, if taken
  bool event_now_taken_ = false;
  std::shared_ptr<Session> event_keep_alive_;  // held by enterEvent() until leaveEvent()
  bool reading_ = false;
  bool retry_read_ = false;  // the idle check cancelled the read to start it again
  bool writing_ = false;
  bool deferred_posted_ = false;  // one posted task does the pending flush and stream end
  bool close_after_write_ = false;
  bool closed_ = false;
  bool request_complete_ = false;
  bool stream_done_pending_ = false;
  bool close_after_stream_ = false;
  bool request_keep_alive_ = true;
  bool request_http10_ = false;
};

}  // namespace meshwasm::gateway
