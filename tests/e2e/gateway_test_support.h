// Helpers for the gateway end-to-end tests: a `meshwasm run` child process on free loopback
// ports, a raw-socket HTTP/1.1 client, and a scriptable fake upstream server.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace meshwasm::e2e {

std::string buildDir();
std::string wasmDir();
std::string meshwasmPath();
// A file in the guest-module directory, or "" when it was not built.
std::string wasmModule(const std::string& name);

class GatewayProcess {
 public:
  // Starts `meshwasm run ARGS --listen 127.0.0.1:0 --admin 127.0.0.1:0` (unless ARGS set them)
  // and waits for its "listening on" line. nullptr (and `error`) if it exits or times out.
  static std::unique_ptr<GatewayProcess> start(const std::vector<std::string>& args,
                                               std::string* error);
  // Runs `meshwasm run ARGS` expecting it to exit; returns the exit code (-1 on timeout).
  static int runToExit(const std::vector<std::string>& args, std::string* err_text,
                       std::chrono::milliseconds timeout = std::chrono::seconds(20));
  ~GatewayProcess();

  int port() const { return port_; }
  int adminPort() const { return admin_port_; }
  std::string out() const;
  std::string err() const;
  // Waits until stdout (or stderr) contains `needle`.
  bool waitForOut(const std::string& needle,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  bool waitForErr(const std::string& needle,
                  std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;
  // Sends `sig` and waits for the exit; returns the exit status (or -1).
  int terminate(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(15));

 private:
  GatewayProcess() = default;
  bool spawn(const std::vector<std::string>& argv);
  bool waitFor(const std::string* text, const std::string& needle,
               std::chrono::milliseconds timeout) const;
  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  int exit_status_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string out_;
  std::string err_;
  std::atomic<bool> eof_{false};
  int port_ = 0;
  int admin_port_ = 0;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  std::vector<std::pair<std::string, std::string>> trailers;
  std::string raw;     // everything read
  size_t length = 0;   // bytes of `raw` this response used
  std::optional<std::string> header(const std::string& name) const;
};

// Parses the first HTTP/1.1 response in `raw` (content-length, chunked, or to the end).
std::optional<HttpResponse> parseResponse(const std::string& raw);
// Parses consecutive responses (pipelining).
std::vector<HttpResponse> parseResponses(const std::string& raw);

// Sends bytes and reads until the peer closes or `timeout` passes.
std::string roundTrip(int port, const std::string& bytes,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));
// A GET (or other method) with Connection: close; the response parsed (status 0 on failure).
HttpResponse request(int port, const std::string& method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     const std::string& body = "");

// A loopback TCP server; each accepted connection is handed to `handler` on its own thread.
class FakeUpstream {
 public:
  explicit FakeUpstream(std::function<void(int fd)> handler);
  ~FakeUpstream();
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

  // Handlers: read one request head, then write `response` and close.
  static std::function<void(int)> respond(std::string response);
  // Read the request head, then close without answering.
  static std::function<void(int)> closeAfterRequest();
  // Read the request head, then keep the connection open without answering.
  static std::function<void(int)> hang(std::chrono::milliseconds how_long);

 private:
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> workers_;
};

// Reads until "\r\n\r\n" (the request head); returns it ("" on EOF/timeout).
std::string readHead(int fd, std::chrono::milliseconds timeout = std::chrono::seconds(5));
// A port nobody listens on (bound, then closed).
int unusedPort();

}  // namespace meshwasm::e2e
