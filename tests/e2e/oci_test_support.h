// Helpers for the oci end-to-end tests: temp dirs, bounded child processes, a throw-away
// docker-registry on a free loopback port, and the auth proxy in front of it.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace meshwasm::e2e {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

struct CommandResult {
  int exitCode = -1;  // -1: killed by the timeout or a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (PATH lookup) with a timeout; stdout/stderr captured. `env` entries
// ("K=V") are added to the environment.
CommandResult runCommand(const std::vector<std::string>& argv, int timeoutSeconds = 60,
                         const std::vector<std::string>& env = {});

// A background process killed with SIGTERM (then SIGKILL) on destruction.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::string& logPath);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  void stop();
  bool running() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

int freeLoopbackPort();
bool waitForHttp200(const std::string& url, int timeoutMs);

// Debian's docker-registry serving `root` on 127.0.0.1:<free port>, anonymous.
class LocalRegistry {
 public:
  explicit LocalRegistry(const std::string& workDir);
  ~LocalRegistry();
  bool ready() const { return ready_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  const std::string& storageDir() const { return storage_; }
  void stop();
  std::string log() const;

 private:
  std::string storage_, log_;
  int port_ = 0;
  bool ready_ = false;
  Background* process_ = nullptr;
};

// oci_auth_proxy.py in front of a registry: mode "basic", "bearer" or "tamper-manifest".
class AuthProxy {
 public:
  AuthProxy(const std::string& upstreamHost, const std::string& mode, const std::string& workDir);
  ~AuthProxy();
  bool ready() const { return ready_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  int port_ = 0;
  bool ready_ = false;
  Background* process_ = nullptr;
};

std::string readText(const std::string& path);
void writeText(const std::string& path, const std::string& text);
std::string sha256OfFile(const std::string& path);
std::vector<std::string> listDir(const std::string& dir);
// $MESHWASM_BUILD_DIR/bin/meshwasm
std::string meshwasmBinary();
// $MESHWASM_WASM_DIR/header_auth.wasm when it exists, else a module made with wat2wasm in
// `workDir`. Empty on failure.
std::string realWasmModule(const std::string& workDir);
// The directory holding this source file's siblings (tests/e2e).
std::string e2eSourceDir();

}  // namespace meshwasm::e2e
