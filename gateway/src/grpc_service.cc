#include "grpc_service.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <map>
#include <random>
#include <set>

#include "grpc_wire.h"

namespace meshwasm::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// ---------------------------------------------------------------- messages

namespace {

void appendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

bool readVarint(std::string_view data, size_t* pos, uint64_t* value) {
  uint64_t result = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (*pos >= data.size()) return false;
    const auto byte = static_cast<uint8_t>(data[(*pos)++]);
    result |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      *value = result;
      return true;
    }
  }
  return false;
}

struct StatusRequest {
  int64_t code = 0;
  std::string message;
};

// StatusRequest { int32 code = 1; string message = 2; }; unknown fields skipped.
bool decodeStatusRequest(std::string_view data, StatusRequest* out) {
  size_t pos = 0;
  while (pos < data.size()) {
    uint64_t key = 0;
    if (!readVarint(data, &pos, &key)) return false;
    const uint64_t field = key >> 3;
    switch (key & 7) {
      case 0: {
        uint64_t value = 0;
        if (!readVarint(data, &pos, &value)) return false;
        if (field == 1) out->code = static_cast<int32_t>(static_cast<uint32_t>(value));
        break;
      }
      case 1:
        if (data.size() - pos < 8) return false;
        pos += 8;
        break;
      case 2: {
        uint64_t length = 0;
        if (!readVarint(data, &pos, &length) || length > data.size() - pos) return false;
        if (field == 2) out->message = std::string(data.substr(pos, length));
        pos += length;
        break;
      }
      case 5:
        if (data.size() - pos < 4) return false;
        pos += 4;
        break;
      default: return false;
    }
  }
  return true;
}

}  // namespace

std::string encodeUuidReply(std::string_view uuid) {
  std::string out("\x0a", 1);
  appendVarint(out, uuid.size());
  out.append(uuid);
  return out;
}

std::string encodeStatusRequest(int32_t code, std::string_view message) {
  std::string out;
  if (code != 0) {
    out.push_back('\x08');
    appendVarint(out, static_cast<uint64_t>(static_cast<int64_t>(code)));
  }
  if (!message.empty()) {
    out.push_back('\x12');
    appendVarint(out, message.size());
    out.append(message);
  }
  return out;
}

std::string randomUuidV4() {
  static constexpr char kHex[] = "0123456789abcdef";
  thread_local std::mt19937_64 rng(std::random_device{}());
  const uint64_t high = rng();
  const uint64_t low = rng();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(high >> (8 * i));
    bytes[8 + i] = static_cast<unsigned char>(low >> (8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | 0x40);  // version 4
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string text;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[bytes[i] >> 4]);
    text.push_back(kHex[bytes[i] & 15]);
  }
  return text;
}

GrpcServiceReply HttpbinGrpcService::handle(std::string_view path,
                                            const std::vector<std::string>& messages) {
  GrpcServiceReply reply;
  const std::string prefix = "/" + std::string(kHttpbinGrpcService) + "/";
  const std::string_view method =
      path.starts_with(prefix) ? path.substr(prefix.size()) : std::string_view();
  if (method == "Echo") {
    reply.messages = messages;
    return reply;
  }
  if (method == "Uuid" || method == "Status") {
    if (messages.size() != 1) {
      reply.status = kGrpcUnimplemented;
      reply.message = "unary method " + std::string(method) + " expects exactly one message, got " +
                      std::to_string(messages.size());
      return reply;
    }
    if (method == "Uuid") {
      reply.messages.push_back(encodeUuidReply(randomUuidV4()));
      return reply;
    }
    StatusRequest request;
    if (!decodeStatusRequest(messages[0], &request)) {
      reply.status = kGrpcInternal;
      reply.message = "cannot parse StatusRequest";
      return reply;
    }
    if (request.code < 0 || request.code > 16) {
      reply.status = kGrpcInvalidArgument;
      reply.message = "code " + std::to_string(request.code) + " is not a gRPC status";
      return reply;
    }
    reply.status = static_cast<uint32_t>(request.code);
    reply.message = request.message;
    if (reply.status == kGrpcOk) reply.messages.emplace_back();
    return reply;
  }
  reply.status = kGrpcUnimplemented;
  reply.message = "unknown method " + std::string(path);
  return reply;
}

// ---------------------------------------------------------------- h2c server

namespace {

class ServerImpl;

// Bytes of request messages one call may send (Echo buffers them all).
constexpr size_t kMaxRequestBytes = 4 * kGrpcMaxMessageSize;

nghttp2_nv header(const std::string& name, const std::string& value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                    value.size(), NGHTTP2_NV_FLAG_NONE};
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, ServerImpl* server)
      : socket_(std::move(socket)), server_(server) {}
  ~Connection() {
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  void start();
  void close();

 private:
  struct Stream {
    std::string method, path, content_type;
    GrpcMessageReader reader;
    std::vector<std::string> messages;
    size_t received = 0;
    bool too_large = false;
    std::string body;  // framed reply messages
    size_t sent = 0;
    std::string trailer_status, trailer_message;
  };

  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Connection*>(user);
    if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST) {
      self->streams_[frame->hd.stream_id];
    }
    return 0;
  }
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_size, const uint8_t* value, size_t value_size, uint8_t,
                      void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(frame->hd.stream_id);
    if (it == self->streams_.end() || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
    const std::string_view key(reinterpret_cast<const char*>(name), name_size);
    std::string text(reinterpret_cast<const char*>(value), value_size);
    if (key == ":method") it->second.method = std::move(text);
    if (key == ":path") it->second.path = std::move(text);
    if (key == "content-type") it->second.content_type = std::move(text);
    return 0;
  }
  static int onDataChunk(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                         size_t size, void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return 0;
    Stream& stream = it->second;
    stream.received += size;
    if (stream.received > kMaxRequestBytes) {
      stream.too_large = true;  // answered when the request ends
      return 0;
    }
    stream.reader.feed(std::string_view(reinterpret_cast<const char*>(data), size));
    while (auto message = stream.reader.next()) stream.messages.push_back(std::move(*message));
    return 0;
  }
  static int onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<Connection*>(user);
    if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
      self->respond(session, frame->hd.stream_id);
    }
    return 0;
  }
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t, void* user) {
    static_cast<Connection*>(user)->streams_.erase(stream_id);
    return 0;
  }
  static ssize_t readBody(nghttp2_session* session, int32_t stream_id, uint8_t* buf, size_t length,
                          uint32_t* flags, nghttp2_data_source*, void* user) {
    auto* self = static_cast<Connection*>(user);
    auto it = self->streams_.find(stream_id);
    if (it == self->streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
    Stream& stream = it->second;
    const size_t n = std::min(length, stream.body.size() - stream.sent);
    std::copy_n(stream.body.data() + stream.sent, n, buf);
    stream.sent += n;
    if (stream.sent == stream.body.size()) {
      *flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
      const std::string status_key = "grpc-status", message_key = "grpc-message";
      std::vector<nghttp2_nv> trailers = {header(status_key, stream.trailer_status)};
      if (!stream.trailer_message.empty()) {
        trailers.push_back(header(message_key, stream.trailer_message));
      }
      nghttp2_submit_trailer(session, stream_id, trailers.data(), trailers.size());
    }
    return static_cast<ssize_t>(n);
  }

  void respond(nghttp2_session* session, int32_t stream_id);
  void read();
  void flush();

  tcp::socket socket_;
  ServerImpl* server_;
  nghttp2_session* session_ = nullptr;
  std::map<int32_t, Stream> streams_;
  std::array<char, 16384> read_buffer_{};
  std::string write_buffer_;
  bool writing_ = false;
  bool closed_ = false;
};

class ServerImpl final : public GrpcServer {
 public:
  ServerImpl(asio::io_context& io) : io_(io), acceptor_(io) {}
  ~ServerImpl() override { stop(); }

  Status listen(const std::string& host, uint16_t port) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (ec) return Status::error("bad gRPC listen address " + host + ": " + ec.message());
    const tcp::endpoint endpoint(address, port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Status::error("cannot listen on " + host + ":" + std::to_string(port) + ": " +
                           ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    accept();
    return Status::ok();
  }

  uint16_t port() const override { return port_; }
  uint64_t callsServed() const override { return calls_; }
  void stop() override {
    boost::system::error_code ec;
    acceptor_.close(ec);
    auto connections = std::move(connections_);
    for (auto& connection : connections) connection->close();
  }

  HttpbinGrpcService& service() { return service_; }
  void countCall() { ++calls_; }
  void forget(const std::shared_ptr<Connection>& connection) { connections_.erase(connection); }

 private:
  void accept() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec) return;  // closed (stop) or out of descriptors: the listener ends
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      auto connection = std::make_shared<Connection>(std::move(socket), this);
      connections_.insert(connection);
      connection->start();
      accept();
    });
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  uint64_t calls_ = 0;
  HttpbinGrpcService service_;
  std::set<std::shared_ptr<Connection>> connections_;
};

void Connection::start() {
  nghttp2_session_callbacks* callbacks = nullptr;
  nghttp2_session_callbacks_new(&callbacks);
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &Connection::onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Connection::onHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Connection::onDataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Connection::onFrameRecv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Connection::onStreamClose);
  nghttp2_session_server_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 100}};
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
  flush();
  read();
}

void Connection::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
  server_->forget(shared_from_this());
}

void Connection::respond(nghttp2_session* session, int32_t stream_id) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Stream& stream = it->second;
  const std::string status_key = ":status", type_key = "content-type";
  const std::string grpc_type = "application/grpc";
  if (stream.method != "POST" || !stream.content_type.starts_with("application/grpc")) {
    const std::string code = "415";
    const nghttp2_nv nva[] = {header(status_key, code)};
    nghttp2_submit_response(session, stream_id, nva, 1, nullptr);
    return;
  }
  server_->countCall();
  GrpcServiceReply reply;
  if (stream.too_large) {
    reply.status = kGrpcResourceExhausted;
    reply.message = "request over " + std::to_string(kMaxRequestBytes) + " bytes";
  } else if (stream.reader.failed()) {
    const std::string& error = stream.reader.error();
    reply.status = error.starts_with("compressed")            ? kGrpcUnimplemented
                   : error.find("limit") != std::string::npos ? kGrpcResourceExhausted
                                                              : kGrpcInternal;
    reply.message = error;
  } else if (stream.reader.pending() != 0) {
    reply.status = kGrpcInternal;
    reply.message = "truncated gRPC message";
  } else {
    reply = server_->service().handle(stream.path, stream.messages);
  }
  stream.trailer_status = std::to_string(reply.status);
  stream.trailer_message = grpcPercentEncode(reply.message);
  const std::string ok = "200";
  if (reply.messages.empty()) {  // trailers-only
    const std::string status_name = "grpc-status", message_name = "grpc-message";
    std::vector<nghttp2_nv> nva = {header(status_key, ok), header(type_key, grpc_type),
                                   header(status_name, stream.trailer_status)};
    if (!stream.trailer_message.empty()) {
      nva.push_back(header(message_name, stream.trailer_message));
    }
    nghttp2_submit_response(session, stream_id, nva.data(), nva.size(), nullptr);
    return;
  }
  for (const std::string& message : reply.messages) stream.body += grpcFrame(message);
  const nghttp2_nv nva[] = {header(status_key, ok), header(type_key, grpc_type)};
  nghttp2_data_provider provider{};
  provider.read_callback = &Connection::readBody;
  nghttp2_submit_response(session, stream_id, nva, 2, &provider);
}

void Connection::read() {
  socket_.async_read_some(asio::buffer(read_buffer_), [self = shared_from_this()](
                                                          boost::system::error_code ec, size_t n) {
    if (self->closed_) return;
    if (ec) {
      self->close();
      return;
    }
    const ssize_t used = nghttp2_session_mem_recv(
        self->session_, reinterpret_cast<const uint8_t*>(self->read_buffer_.data()), n);
    if (used < 0) {
      self->close();
      return;
    }
    self->flush();
    if (!self->closed_) self->read();
  });
}

void Connection::flush() {
  if (writing_ || closed_) return;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      close();
      return;
    }
    if (n == 0) break;
    write_buffer_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (write_buffer_.empty()) {
    if (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0) {
      close();
    }
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(write_buffer_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->writing_ = false;
                      self->write_buffer_.clear();
                      if (ec) {
                        self->close();
                        return;
                      }
                      self->flush();
                    });
}

}  // namespace

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::start(asio::io_context& io,
                                                        const std::string& host, uint16_t port) {
  auto server = std::make_unique<ServerImpl>(io);
  Status status = server->listen(host, port);
  if (!status) return status;
  return std::unique_ptr<GrpcServer>(std::move(server));
}

}  // namespace meshwasm::gateway
