#include "oci_test_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/reference.h"
#include "meshwasm/oci/registry.h"

namespace meshwasm::e2e {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "meshwasm_oci_e2e.XXXXXX").string();
  const char* made = ::mkdtemp(tmpl.data());
  path_ = made ? made : "";
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& outPath,
            const std::string& errPath, const std::vector<std::string>& env) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::setpgid(0, 0);
  int out = ::open(outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int err = errPath == outPath ? out : ::open(errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  int in = ::open("/dev/null", O_RDONLY);
  if (out < 0 || err < 0 || in < 0) ::_exit(126);
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  for (const std::string& e : env) ::putenv(const_cast<char*>(e.c_str()));
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  ::execvp(args[0], args.data());
  ::_exit(127);
}

void killGroup(pid_t pid) {
  if (pid <= 0) return;
  ::kill(-pid, SIGTERM);
  ::kill(pid, SIGTERM);  // in case the child has not made its process group yet
  for (int i = 0; i < 100; ++i) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

}  // namespace

CommandResult runCommand(const std::vector<std::string>& argv, int timeoutSeconds,
                         const std::vector<std::string>& env) {
  TempDir io;
  std::string outPath = io.path() + "/out", errPath = io.path() + "/err";
  CommandResult result;
  pid_t pid = spawn(argv, outPath, errPath, env);
  if (pid < 0) return result;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeoutSeconds);
  int status = 0;
  bool done = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      done = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!done) {
    killGroup(pid);
  } else if (WIFEXITED(status)) {
    result.exitCode = WEXITSTATUS(status);
  }
  result.out = readText(outPath);
  result.err = readText(errPath);
  return result;
}

Background::Background(const std::vector<std::string>& argv, const std::string& logPath) {
  pid_ = spawn(argv, logPath, logPath, {});
}

Background::~Background() {
  stop();
}

void Background::stop() {
  killGroup(pid_);
  pid_ = -1;
}

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

bool waitForHttp200(const std::string& host, int timeoutMs) {
  auto ref = oci::parseReference(host + "/probe");
  if (!ref) return false;
  oci::RegistryOptions options;
  options.timeoutSeconds = 2;
  options.connectTimeoutSeconds = 1;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    oci::RegistryClient client(*ref, options);
    if (client.ping()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

LocalRegistry::LocalRegistry(const std::string& workDir) {
  storage_ = workDir + "/registry-data";
  log_ = workDir + "/registry.log";
  port_ = freeLoopbackPort();
  std::string config = workDir + "/registry.yml";
  writeText(config,
            "version: 0.1\n"
            "log:\n  level: warn\n"
            "storage:\n  filesystem:\n    rootdirectory: " +
                storage_ +
                "\n"
                "  delete:\n    enabled: true\n"
                "http:\n  addr: 127.0.0.1:" +
                std::to_string(port_) +
                "\n"
                "  secret: meshwasm-e2e-secret\n");
  process_ = new Background({"docker-registry", "serve", config}, log_);
  ready_ = waitForHttp200(host(), 10000);
}

LocalRegistry::~LocalRegistry() {
  stop();
}

void LocalRegistry::stop() {
  delete process_;
  process_ = nullptr;
}

std::string LocalRegistry::log() const {
  return readText(log_);
}

AuthProxy::AuthProxy(const std::string& upstreamHost, const std::string& mode,
                     const std::string& workDir) {
  port_ = freeLoopbackPort();
  process_ = new Background(
      {"/usr/bin/python3", e2eSourceDir() + "/oci_auth_proxy.py", "--port", std::to_string(port_),
       "--upstream", upstreamHost, "--mode", mode, "--user", "alice", "--password", "s3cret"},
      workDir + "/proxy-" + mode + ".log");
  // /v2/ answers 401 through the proxy: wait for the port to accept instead.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline && !ready_) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    ready_ = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    if (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

AuthProxy::~AuthProxy() {
  delete process_;
}

std::string readText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

std::string sha256OfFile(const std::string& path) {
  return oci::sha256Hex(readText(path));
}

std::vector<std::string> listDir(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string meshwasmBinary() {
  const char* dir = std::getenv("MESHWASM_BUILD_DIR");
  return std::string(dir ? dir : ".") + "/bin/meshwasm";
}

std::string realWasmModule(const std::string& workDir) {
  if (const char* dir = std::getenv("MESHWASM_WASM_DIR")) {
    std::string path = std::string(dir) + "/header_auth.wasm";
    if (fs::exists(path)) return path;
  }
  std::string wat = workDir + "/tiny.wat", wasm = workDir + "/tiny.wasm";
  writeText(
      wat,
      "(module\n"
      "  (memory (export \"memory\") 1)\n"
      "  (func (export \"proxy_abi_version_0_2_1\"))\n"
      "  (func (export \"proxy_on_memory_allocate\") (param i32) (result i32) i32.const 1024)\n"
      "  (data (i32.const 16) \"meshwasm oci e2e module\"))\n");
  CommandResult r = runCommand({"wat2wasm", wat, "-o", wasm}, 30);
  return r.exitCode == 0 ? wasm : "";
}

std::string e2eSourceDir() {
  return MESHWASM_E2E_SOURCE_DIR;
}

}  // namespace meshwasm::e2e
