#include "h2c_client.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <deque>
#include <map>
#include <optional>

#include "grpc_wire.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

nghttp2_nv header(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Request headers the client sets itself or HTTP/2 forbids.
bool reservedHeader(std::string_view name) {
  return name.empty() || name[0] == ':' || name == "connection" || name == "keep-alive" ||
         name == "proxy-connection" || name == "transfer-encoding" || name == "upgrade" ||
         name == "te" || name == "host" || name == "content-type" || name == "grpc-timeout" ||
         name == "content-length";
}

}  // namespace

class H2cClient::Impl : public std::enable_shared_from_this<H2cClient::Impl> {
 public:
  Impl(asio::io_context& io, std::string host, uint16_t port,
       std::chrono::milliseconds connect_timeout)
      : io_(io),
        host_(std::move(host)),
        port_(port),
        connect_timeout_(connect_timeout),
        socket_(io),
        resolver_(io),
        connect_timer_(io) {}

  ~Impl() {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  uint64_t start(GrpcCallOptions options, GrpcCallEvents events) {
    const uint64_t id = next_id_++;
    Call& call = calls_[id];
    call.options = std::move(options);
    call.events = std::move(events);
    if (call.options.timeout.count() > 0) {
      call.timer = std::make_unique<asio::steady_timer>(io_, call.options.timeout);
      call.timer->async_wait([weak = weak_from_this(), id](boost::system::error_code ec) {
        auto self = weak.lock();
        if (ec || !self || self->shut_down_) return;
        self->failCall(id, kGrpcDeadlineExceeded, "deadline exceeded", true);
        self->flush();
      });
    }
    if (state_ == State::Connected) {
      submit(id);
      flush();
    } else if (state_ == State::Idle) {
      connect();
    }
    return id;
  }

  bool send(uint64_t id, std::string_view message, bool end_stream) {
    Call* call = find(id);
    if (call == nullptr || call->end_requested || call->finished) return false;
    call->out += grpcFrame(message);
    call->end_requested = end_stream;
    resume(*call);
    return true;
  }

  bool halfClose(uint64_t id) {
    Call* call = find(id);
    if (call == nullptr || call->end_requested || call->finished) return false;
    call->end_requested = true;
    resume(*call);
    return true;
  }

  bool cancel(uint64_t id) {
    Call* call = find(id);
    if (call == nullptr) return false;
    if (call->stream_id > 0 && session_ != nullptr) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, call->stream_id, NGHTTP2_CANCEL);
      streams_.erase(call->stream_id);
    }
    calls_.erase(id);
    flush();
    return true;
  }

  size_t activeCalls() const { return calls_.size(); }
  uint64_t connectionsOpened() const { return connections_; }

  void shutdown() {
    shut_down_ = true;
    calls_.clear();
    events_.clear();
    streams_.clear();
    boost::system::error_code ec;
    socket_.close(ec);
    resolver_.cancel();
    connect_timer_.cancel();
  }

 private:
  enum class State { Idle, Connecting, Connected };

  struct Call {
    GrpcCallOptions options;
    GrpcCallEvents events;
    int32_t stream_id = 0;
    std::string out;  // framed messages not yet taken by nghttp2
    size_t out_sent = 0;
    bool end_requested = false;
    bool deferred = false;  // nghttp2 waits for resume_data
    GrpcMessageReader reader;
    uint32_t http_status = 0;
    GrpcMetadata initial;
    GrpcMetadata trailers;
    std::optional<uint32_t> grpc_status;
    std::string grpc_message;
    bool finished = false;  // the close event is queued
    std::unique_ptr<asio::steady_timer> timer;
  };

  enum class EventKind { InitialMetadata, Message, TrailingMetadata, Close };
  struct Event {
    uint64_t call;
    EventKind kind;
    GrpcMetadata metadata;
    std::string data;
    uint32_t status = 0;
  };

  Call* find(uint64_t id) {
    auto it = calls_.find(id);
    return it == calls_.end() ? nullptr : &it->second;
  }
  Call* findStream(int32_t stream_id) {
    auto it = streams_.find(stream_id);
    return it == streams_.end() ? nullptr : find(it->second);
  }

  void queue(uint64_t id, EventKind kind, GrpcMetadata metadata = {}, std::string data = {},
             uint32_t status = 0) {
    events_.push_back(Event{id, kind, std::move(metadata), std::move(data), status});
    if (delivery_scheduled_) return;
    delivery_scheduled_ = true;
    asio::post(io_, [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->deliver();
    });
  }

  void deliver() {
    delivery_scheduled_ = false;
    auto self = shared_from_this();
    std::deque<Event> events;
    events.swap(events_);
    for (Event& event : events) {
      if (shut_down_) return;
      Call* call = find(event.call);
      if (call == nullptr) continue;  // cancelled
      switch (event.kind) {
        case EventKind::InitialMetadata: {
          auto callback = call->events.on_initial_metadata;
          if (callback) callback(std::move(event.metadata));
          break;
        }
        case EventKind::Message: {
          auto callback = call->events.on_message;
          if (callback) callback(std::move(event.data));
          break;
        }
        case EventKind::TrailingMetadata: {
          auto callback = call->events.on_trailing_metadata;
          if (callback) callback(std::move(event.metadata));
          break;
        }
        case EventKind::Close: {
          auto callback = std::move(call->events.on_close);
          if (call->stream_id > 0) streams_.erase(call->stream_id);
          calls_.erase(event.call);
          if (callback) callback(event.status, std::move(event.data));
          break;
        }
      }
    }
  }

  // Ends the call with `status` (once); reset its stream when asked.
  void failCall(uint64_t id, uint32_t status, std::string message, bool reset) {
    Call* call = find(id);
    if (call == nullptr || call->finished) return;
    call->finished = true;
    if (reset && call->stream_id > 0 && session_ != nullptr) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, call->stream_id, NGHTTP2_CANCEL);
    }
    queue(id, EventKind::Close, {}, std::move(message), status);
  }

  void resume(Call& call) {
    if (call.stream_id > 0 && call.deferred && session_ != nullptr) {
      call.deferred = false;
      nghttp2_session_resume_data(session_, call.stream_id);
      flush();
    }
  }

  // ------------------------------------------------------------ connection
  void connect() {
    state_ = State::Connecting;
    ++connections_;
    const uint64_t generation = ++generation_;
    connect_timer_.expires_after(connect_timeout_);
    connect_timer_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->shut_down_ || self->generation_ != generation ||
          self->state_ != State::Connecting) {
        return;
      }
      self->connectionFailed("upstream connect timeout");
    });
    resolver_.async_resolve(
        host_, std::to_string(port_),
        [weak = weak_from_this(), generation](boost::system::error_code ec,
                                              tcp::resolver::results_type results) {
          auto self = weak.lock();
          if (!self || self->shut_down_ || self->generation_ != generation) return;
          if (ec) {
            self->connectionFailed("upstream connect error: " + ec.message());
            return;
          }
          asio::async_connect(
              self->socket_, results,
              [weak, generation](boost::system::error_code ec, const tcp::endpoint&) {
                auto self = weak.lock();
                if (!self || self->shut_down_ || self->generation_ != generation) return;
                if (ec) {
                  self->connectionFailed("upstream connect error: " + ec.message());
                  return;
                }
                self->connected();
              });
        });
  }

  void connected() {
    connect_timer_.cancel();
    boost::system::error_code ignored;
    socket_.set_option(tcp::no_delay(true), ignored);
    nghttp2_session_callbacks* callbacks = nullptr;
    nghttp2_session_callbacks_new(&callbacks);
    nghttp2_session_callbacks_set_on_header_callback(callbacks, &Impl::onHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Impl::onDataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Impl::onFrameRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Impl::onStreamClose);
    nghttp2_session_client_new(&session_, callbacks, this);
    nghttp2_session_callbacks_del(callbacks);
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, nullptr, 0);
    state_ = State::Connected;
    for (auto& [id, call] : calls_) {
      if (call.stream_id == 0 && !call.finished) submit(id);
    }
    flush();
    read(generation_);
  }

  void connectionFailed(const std::string& reason) {
    for (auto& [id, call] : calls_) {
      if (call.finished) continue;
      call.finished = true;
      queue(id, EventKind::Close, {}, reason, kGrpcUnavailable);
    }
    streams_.clear();
    if (session_ != nullptr) {
      nghttp2_session_del(session_);
      session_ = nullptr;
    }
    boost::system::error_code ec;
    socket_.close(ec);
    connect_timer_.cancel();
    write_buffer_.clear();
    writing_ = false;
    ++generation_;  // handlers of the old connection become no-ops
    state_ = State::Idle;
  }

  void submit(uint64_t id) {
    Call& call = calls_[id];
    const std::string path = "/" + call.options.service + "/" + call.options.method;
    const std::string authority = call.options.authority.empty()
                                      ? host_ + ":" + std::to_string(port_)
                                      : call.options.authority;
    std::vector<std::pair<std::string, std::string>> headers = {
        {":method", "POST"},
        {":scheme", "http"},
        {":path", path},
        {":authority", authority},
        {"content-type", "application/grpc"},
        {"te", "trailers"}};
    if (call.options.timeout.count() > 0) {
      headers.emplace_back("grpc-timeout", formatGrpcTimeout(call.options.timeout));
    }
    for (const auto& [name, value] : call.options.metadata) {
      std::string key = lower(name);
      if (!reservedHeader(key)) headers.emplace_back(std::move(key), value);
    }
    std::vector<nghttp2_nv> nva;
    nva.reserve(headers.size());
    for (const auto& [name, value] : headers) nva.push_back(header(name, value));
    nghttp2_data_provider provider{};
    provider.source.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(id));
    provider.read_callback = &Impl::readRequestBody;
    const int32_t stream_id =
        nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(), &provider, nullptr);
    if (stream_id < 0) {
      failCall(id, kGrpcUnavailable,
               std::string("cannot start the stream: ") + nghttp2_strerror(stream_id), false);
      return;
    }
    call.stream_id = stream_id;
    streams_[stream_id] = id;
  }

  void read(uint64_t generation) {
    socket_.async_read_some(
        asio::buffer(read_buffer_),
        [self = shared_from_this(), generation](boost::system::error_code ec, size_t n) {
          if (self->shut_down_ || self->generation_ != generation) return;
          if (ec) {
            self->connectionFailed(ec == asio::error::eof ? "upstream connection closed"
                                                          : "upstream read error: " + ec.message());
            return;
          }
          const ssize_t used = nghttp2_session_mem_recv(
              self->session_, reinterpret_cast<const uint8_t*>(self->read_buffer_.data()), n);
          if (used < 0) {
            self->connectionFailed(std::string("HTTP/2 protocol error: ") +
                                   nghttp2_strerror(static_cast<int>(used)));
            return;
          }
          self->flush();
          if (self->generation_ != generation) return;  // flush failed the connection
          self->read(generation);
        });
  }

  void flush() {
    if (writing_ || session_ == nullptr || state_ != State::Connected) return;
    for (;;) {
      const uint8_t* data = nullptr;
      const ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        connectionFailed(std::string("HTTP/2 protocol error: ") +
                         nghttp2_strerror(static_cast<int>(n)));
        return;
      }
      if (n == 0) break;
      write_buffer_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
    }
    if (write_buffer_.empty()) {
      if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
        connectionFailed("upstream closed the connection");
      }
      return;
    }
    writing_ = true;
    const uint64_t generation = generation_;
    asio::async_write(
        socket_, asio::buffer(write_buffer_),
        [self = shared_from_this(), generation](boost::system::error_code ec, size_t) {
          if (self->shut_down_ || self->generation_ != generation) return;
          self->writing_ = false;
          self->write_buffer_.clear();
          if (ec) {
            self->connectionFailed("upstream write error: " + ec.message());
            return;
          }
          self->flush();
        });
  }

  // ------------------------------------------------------------ nghttp2 callbacks
  static ssize_t readRequestBody(nghttp2_session*, int32_t, uint8_t* buf, size_t length,
                                 uint32_t* flags, nghttp2_data_source* source, void* user) {
    auto* self = static_cast<Impl*>(user);
    Call* call = self->find(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(source->ptr)));
    if (call == nullptr) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    const size_t n = std::min(length, call->out.size() - call->out_sent);
    std::copy_n(call->out.data() + call->out_sent, n, buf);
    call->out_sent += n;
    if (call->out_sent == call->out.size()) {
      call->out.clear();
      call->out_sent = 0;
      if (call->end_requested) {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
      } else if (n == 0) {
        call->deferred = true;
        return NGHTTP2_ERR_DEFERRED;
      }
    }
    return static_cast<ssize_t>(n);
  }

  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                      void* user) {
    auto* self = static_cast<Impl*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    Call* call = self->findStream(frame->hd.stream_id);
    if (call == nullptr) return 0;
    std::string key(reinterpret_cast<const char*>(name), name_size);
    std::string text(reinterpret_cast<const char*>(value), value_size);
    if (key == "grpc-status") {
      uint32_t status = 0;
      bool valid = !text.empty() && text.size() <= 3;
      for (char c : text) {
        valid = valid && c >= '0' && c <= '9';
        if (valid) status = status * 10 + static_cast<uint32_t>(c - '0');
      }
      call->grpc_status = valid ? status : kGrpcUnknown;
      return 0;
    }
    if (key == "grpc-message") {
      call->grpc_message = grpcPercentDecode(text);
      return 0;
    }
    if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
      if (key == ":status") {
        uint32_t status = 0;
        for (char c : text) status = status * 10 + static_cast<uint32_t>(c - '0');
        call->http_status = status;
      } else {
        call->initial.emplace_back(std::move(key), std::move(text));
      }
    } else {
      call->trailers.emplace_back(std::move(key), std::move(text));
    }
    return 0;
  }

  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
    auto it = self->streams_.find(frame->hd.stream_id);
    if (it == self->streams_.end()) return 0;
    const uint64_t id = it->second;
    Call* call = self->find(id);
    if (call == nullptr || call->finished) return 0;
    const bool end_stream = (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame->hd.type == NGHTTP2_HEADERS) {
      if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE && call->http_status >= 100 &&
          call->http_status < 200) {
        call->initial.clear();  // informational answer: the real one follows
        return 0;
      }
      if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE && !end_stream) {
        if (call->http_status == 200) {
          self->queue(id, EventKind::InitialMetadata, std::move(call->initial));
        }
        call->initial.clear();
      } else if (frame->headers.cat == NGHTTP2_HCAT_HEADERS && end_stream) {
        self->queue(id, EventKind::TrailingMetadata, std::move(call->trailers));
        call->trailers.clear();
      } else if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE && end_stream &&
                 call->http_status == 200) {  // trailers-only
        self->queue(id, EventKind::TrailingMetadata, std::move(call->initial));
        call->initial.clear();
      }
    }
    if (end_stream) self->finish(id, *call);
    return 0;
  }

  static int onDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t size, void* user) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    const uint64_t id = it->second;
    Call* call = self->find(id);
    if (call == nullptr || call->finished || call->http_status != 200) return 0;
    call->reader.feed(std::string_view(reinterpret_cast<const char*>(data), size));
    while (auto message = call->reader.next()) {
      self->queue(id, EventKind::Message, {}, std::move(*message));
    }
    if (call->reader.failed()) {
      self->failCall(id, kGrpcInternal, call->reader.error(), true);
    }
    return 0;
  }

  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) {
    auto* self = static_cast<Impl*>(user);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    const uint64_t id = it->second;
    self->streams_.erase(it);
    Call* call = self->find(id);
    if (call != nullptr && !call->finished) {
      call->finished = true;
      self->queue(id, EventKind::Close, {},
                  "upstream reset the stream (HTTP/2 error " + std::to_string(error_code) + ")",
                  kGrpcUnavailable);
    }
    return 0;
  }

  void finish(uint64_t id, Call& call) {
    call.finished = true;
    uint32_t status = kGrpcUnknown;
    std::string message;
    if (call.http_status != 200) {
      status = grpcStatusFromHttp(call.http_status);
      message = "upstream answered HTTP status " + std::to_string(call.http_status);
    } else if (call.reader.pending() != 0) {
      status = kGrpcInternal;
      message = "truncated gRPC message";
    } else if (call.grpc_status) {
      status = *call.grpc_status;
      message = call.grpc_message;
    } else {
      message = "upstream sent no grpc-status";
    }
    queue(id, EventKind::Close, {}, std::move(message), status);
  }

  asio::io_context& io_;
  std::string host_;
  uint16_t port_;
  std::chrono::milliseconds connect_timeout_;
  tcp::socket socket_;
  tcp::resolver resolver_;
  asio::steady_timer connect_timer_;
  nghttp2_session* session_ = nullptr;
  State state_ = State::Idle;
  uint64_t generation_ = 0;
  uint64_t connections_ = 0;
  uint64_t next_id_ = 1;
  std::map<uint64_t, Call> calls_;
  std::map<int32_t, uint64_t> streams_;
  std::deque<Event> events_;
  bool delivery_scheduled_ = false;
  std::array<char, 16384> read_buffer_{};
  std::string write_buffer_;
  bool writing_ = false;
  bool shut_down_ = false;
};

H2cClient::H2cClient(asio::io_context& io, std::string host, uint16_t port,
                     std::chrono::milliseconds connect_timeout)
    : impl_(std::make_shared<Impl>(io, std::move(host), port, connect_timeout)) {}

H2cClient::~H2cClient() {
  impl_->shutdown();
}

uint64_t H2cClient::start(GrpcCallOptions options, GrpcCallEvents events) {
  return impl_->start(std::move(options), std::move(events));
}
bool H2cClient::send(uint64_t call, std::string_view message, bool end_stream) {
  return impl_->send(call, message, end_stream);
}
bool H2cClient::halfClose(uint64_t call) {
  return impl_->halfClose(call);
}
bool H2cClient::cancel(uint64_t call) {
  return impl_->cancel(call);
}
size_t H2cClient::activeCalls() const {
  return impl_->activeCalls();
}
uint64_t H2cClient::connectionsOpened() const {
  return impl_->connectionsOpened();
}

}  // namespace meshwasm::gateway
