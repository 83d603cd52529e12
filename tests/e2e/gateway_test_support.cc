#include "gateway_test_support.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>

namespace meshwasm::e2e {

namespace {

using Clock = std::chrono::steady_clock;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int connectTo(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool writeAll(int fd, const std::string& bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

std::string buildDir() {
  const char* d = std::getenv("MESHWASM_BUILD_DIR");
  return d ? d : "build";
}

std::string wasmDir() {
  const char* d = std::getenv("MESHWASM_WASM_DIR");
  return d ? d : buildDir() + "/wasm";
}

std::string meshwasmPath() { return buildDir() + "/bin/meshwasm"; }

std::string wasmModule(const std::string& name) {
  std::string path = wasmDir() + "/" + name;
  return std::filesystem::exists(path) ? path : "";
}

// ------------------------------------------------------------------ process

bool GatewayProcess::spawn(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (::pipe(out_pipe) != 0 || ::pipe(err_pipe) != 0) return false;
  pid_ = ::fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  reader_ = std::thread([this] {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    int open = 2;
    char buf[8192];
    while (open > 0) {
      if (::poll(fds, 2, 200) < 0) break;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::read(fds[i].fd, buf, sizeof(buf));
        if (n <= 0) {
          fds[i].fd = -1;
          --open;
          continue;
        }
        std::lock_guard<std::mutex> lock(mutex_);
        (i == 0 ? out_ : err_).append(buf, static_cast<size_t>(n));
      }
    }
    eof_ = true;
  });
  return true;
}

std::unique_ptr<GatewayProcess> GatewayProcess::start(const std::vector<std::string>& args,
                                                      std::string* error) {
  std::vector<std::string> argv = {meshwasmPath(), "run"};
  bool listen = false, admin = false;
  for (const auto& a : args) {
    listen |= a == "--listen";
    admin |= a == "--admin";
  }
  argv.insert(argv.end(), args.begin(), args.end());
  if (!listen) argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  if (!admin) argv.insert(argv.end(), {"--admin", "127.0.0.1:0"});
  std::unique_ptr<GatewayProcess> p(new GatewayProcess());
  if (!p->spawn(argv)) {
    *error = "cannot start " + argv[0];
    return nullptr;
  }
  std::regex re("listening on [0-9.]+:([0-9]+) \\(admin on [0-9.]+:([0-9]+)\\)");
  auto deadline = Clock::now() + std::chrono::seconds(20);
  while (Clock::now() < deadline) {
    std::smatch m;
    std::string err = p->err();
    if (std::regex_search(err, m, re)) {
      p->port_ = std::stoi(m[1]);
      p->admin_port_ = std::stoi(m[2]);
      return p;
    }
    if (p->eof_) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *error = "gateway did not start; stderr:\n" + p->err();
  return nullptr;
}

int GatewayProcess::runToExit(const std::vector<std::string>& args, std::string* err_text,
                              std::chrono::milliseconds timeout) {
  std::vector<std::string> argv = {meshwasmPath(), "run"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::unique_ptr<GatewayProcess> p(new GatewayProcess());
  if (!p->spawn(argv)) return -1;
  auto deadline = Clock::now() + timeout;
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(p->pid_, &status, WNOHANG) == p->pid_) {
      p->pid_ = -1;
      if (p->reader_.joinable()) p->reader_.join();
      *err_text = p->err();
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *err_text = p->err();
  return -1;
}

GatewayProcess::~GatewayProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

std::string GatewayProcess::out() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return out_;
}

std::string GatewayProcess::err() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return err_;
}

bool GatewayProcess::waitFor(const std::string* text, const std::string& needle,
                             std::chrono::milliseconds timeout) const {
  auto deadline = Clock::now() + timeout;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (text->find(needle) != std::string::npos) return true;
    }
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool GatewayProcess::waitForOut(const std::string& needle, std::chrono::milliseconds t) const {
  return waitFor(&out_, needle, t);
}

bool GatewayProcess::waitForErr(const std::string& needle, std::chrono::milliseconds t) const {
  return waitFor(&err_, needle, t);
}

int GatewayProcess::terminate(int sig, std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_status_;
  ::kill(pid_, sig);
  auto deadline = Clock::now() + timeout;
  int status = 0;
  while (Clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      if (reader_.joinable()) reader_.join();
      exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return -1;
}

// ------------------------------------------------------------------ client

std::optional<std::string> HttpResponse::header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::optional<HttpResponse> parseResponse(const std::string& raw) {
  size_t head_end = raw.find("\r\n\r\n");
  if (head_end == std::string::npos || raw.compare(0, 9, "HTTP/1.1 ") != 0) return std::nullopt;
  HttpResponse r;
  r.raw = raw;
  r.status = std::atoi(raw.c_str() + 9);
  size_t line = raw.find("\r\n") + 2;
  while (line < head_end) {
    size_t eol = raw.find("\r\n", line);
    std::string h = raw.substr(line, eol - line);
    size_t colon = h.find(':');
    std::string value = colon == std::string::npos ? "" : h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace_back(lower(h.substr(0, colon)), value);
    line = eol + 2;
  }
  size_t pos = head_end + 4;
  bool no_body = r.status == 204 || r.status == 304 || r.status / 100 == 1;
  if (no_body) {
    r.length = pos;
  } else if (auto cl = r.header("content-length")) {
    size_t n = std::stoul(*cl);
    if (raw.size() < pos + n) return std::nullopt;
    r.body = raw.substr(pos, n);
    r.length = pos + n;
  } else if (r.header("transfer-encoding") == "chunked") {
    while (true) {
      size_t eol = raw.find("\r\n", pos);
      if (eol == std::string::npos) return std::nullopt;
      size_t n = std::stoul(raw.substr(pos, eol - pos), nullptr, 16);
      pos = eol + 2;
      if (n == 0) break;
      if (raw.size() < pos + n + 2) return std::nullopt;
      r.body += raw.substr(pos, n);
      pos += n + 2;
    }
    while (true) {
      size_t eol = raw.find("\r\n", pos);
      if (eol == std::string::npos) return std::nullopt;
      if (eol == pos) {
        pos += 2;
        break;
      }
      std::string t = raw.substr(pos, eol - pos);
      size_t colon = t.find(':');
      std::string value = t.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.trailers.emplace_back(lower(t.substr(0, colon)), value);
      pos = eol + 2;
    }
    r.length = pos;
  } else {
    r.body = raw.substr(pos);
    r.length = raw.size();
  }
  return r;
}

std::vector<HttpResponse> parseResponses(const std::string& raw) {
  std::vector<HttpResponse> out;
  std::string rest = raw;
  while (auto r = parseResponse(rest)) {
    out.push_back(*r);
    rest.erase(0, r->length);
    if (r->length == 0) break;
  }
  return out;
}

std::string roundTrip(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  int fd = connectTo(port);
  if (fd < 0) return "";
  writeAll(fd, bytes);
  std::string out;
  auto deadline = Clock::now() + timeout;
  char buf[16384];
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

HttpResponse request(int port, const std::string& method, const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& headers,
                     const std::string& body) {
  std::string req = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" +
                    std::to_string(port) + "\r\nUser-Agent: meshwasm-e2e\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (!body.empty()) req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  req += "Connection: close\r\n\r\n" + body;
  std::string raw = roundTrip(port, req);
  auto r = parseResponse(raw);
  if (!r) {
    HttpResponse bad;
    bad.raw = raw;
    return bad;
  }
  return *r;
}

// ------------------------------------------------------------------ fake upstream

std::string readHead(int fd, std::chrono::milliseconds timeout) {
  std::string in;
  auto deadline = Clock::now() + timeout;
  char buf[4096];
  while (in.find("\r\n\r\n") == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return "";
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return "";
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return "";
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

FakeUpstream::FakeUpstream(std::function<void(int)> handler) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  ::listen(listen_fd_, 64);
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this, handler] {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      connections_.fetch_add(1);
      std::lock_guard<std::mutex> lock(mutex_);
      workers_.emplace_back([fd, handler] {
        handler(fd);
        ::close(fd);
      });
    }
  });
}

FakeUpstream::~FakeUpstream() {
  stop_ = true;
  if (acceptor_.joinable()) acceptor_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& t : workers_) t.join();
  ::close(listen_fd_);
}

std::function<void(int)> FakeUpstream::respond(std::string response) {
  return [response](int fd) {
    if (readHead(fd).empty()) return;
    writeAll(fd, response);
  };
}

std::function<void(int)> FakeUpstream::closeAfterRequest() {
  return [](int fd) { readHead(fd); };
}

std::function<void(int)> FakeUpstream::hang(std::chrono::milliseconds how_long) {
  return [how_long](int fd) {
    readHead(fd);
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, static_cast<int>(how_long.count()));
  };
}

int unusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

}  // namespace meshwasm::e2e
