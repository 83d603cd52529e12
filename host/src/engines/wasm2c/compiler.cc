#include "compiler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

extern "C" char** environ;

namespace meshwasm::host::aot {

// The aot_abi.h text, embedded at build time (aot_abi_text.cc).
extern const char* const kAotAbiHeaderText;

namespace {

// Bumped whenever the generated shim changes meaning; part of the cache key.
constexpr const char* kGeneratorVersion = "meshwasm-aot-shim-3";
constexpr const char* kModuleName = "m";
constexpr int kWasm2cTimeoutMs = 120'000;
constexpr int kCcTimeoutMs = 600'000;

const std::vector<std::string>& ccFlags() {
  static const std::vector<std::string> flags = {"-std=gnu11",
                                                 "-O1",
                                                 "-fPIC",
                                                 "-shared",
                                                 "-fvisibility=hidden",
                                                 "-ftls-model=initial-exec",
                                                 "-fno-strict-aliasing",
                                                 "-DNDEBUG",
                                                 "-w",
                                                 "-Wl,-z,now",
                                                 "-Wl,-z,noexecstack"};
  return flags;
}

std::string envOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? std::string(v) : std::string(fallback);
}

std::string hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  return hex(digest, size);
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct ProcessResult {
  int exit_code = -1;  // -1: killed by a signal or by us
  std::string output;  // stdout and stderr
};

std::string readFile(const std::string& path, size_t limit = 1 << 20) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  std::string out;
  if (!in) return out;
  const auto size = static_cast<size_t>(std::max<std::streamoff>(in.tellg(), 0));
  in.seekg(0);
  out.resize(std::min(size, limit));
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

// Runs argv[0] (looked up in PATH) with stdout+stderr into `log_path`, bounded by a timeout
// and the cancel flag.
StatusOr<ProcessResult> runProcess(const std::vector<std::string>& args,
                                   const std::string& log_path, int timeout_ms,
                                   const std::atomic<bool>* cancel) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return Status::error("cannot run " + args[0] + ": " + std::strerror(rc));
  }
  const auto start = std::chrono::steady_clock::now();
  int status = 0;
  int sleep_ms = 1;
  bool killed = false;
  for (;;) {
    pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return Status::error("waitpid failed for " + args[0]);
    const bool cancelled = cancel != nullptr && cancel->load();
    if (!killed && (cancelled || secondsSince(start) * 1000 > timeout_ms)) {
      kill(pid, SIGKILL);
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    if (sleep_ms < 20) sleep_ms *= 2;
  }
  ProcessResult result;
  result.output = readFile(log_path, 4096);
  if (killed) {
    if (cancel != nullptr && cancel->load()) return Status::error("AOT compile cancelled");
    return Status::error(args[0] + " timed out after " + std::to_string(timeout_ms / 1000) + " s");
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (WIFSIGNALED(status)) {
    result.output +=
        "\n(" + args[0] + " killed by signal " + std::to_string(WTERMSIG(status)) + ")";
  }
  return result;
}

std::string firstLine(const std::string& text) {
  auto nl = text.find('\n');
  return text.substr(0, nl);
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.front() == '\n' || text.front() == ' ')) text.erase(0, 1);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 2000) text = text.substr(0, 2000) + "...";
  return text;
}

// wasm2c's C name mangling (1.0.32): letters, digits and '_' stay, except 'Z'; every other
// byte becomes 'Z' and two upper-case hex digits.
std::string mangle(std::string_view name) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out = "Z_";
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const bool keep = (u < 0x80 && (std::isalnum(u) != 0) && c != 'Z') || c == '_';
    if (keep) {
      out += c;
    } else {
      out += 'Z';
      out += kDigits[u >> 4];
      out += kDigits[u & 15];
    }
  }
  return out;
}

// A C string literal holding exactly `bytes` (octal escapes for everything but [A-Za-z0-9_]).
std::string cString(std::string_view bytes) {
  std::string out = "\"";
  for (char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && (std::isalnum(u) != 0 || c == '_')) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", u);
      out += buf;
    }
  }
  out += '"';
  return out;
}

char letter(uint8_t t) {
  switch (t) {
    case kTypeI32: return 'i';
    case kTypeI64: return 'j';
    case kTypeF32: return 'f';
    case kTypeF64: return 'd';
    default: return '?';
  }
}

const char* cType(uint8_t t) {
  switch (t) {
    case kTypeI32: return "u32";
    case kTypeI64: return "u64";
    case kTypeF32: return "f32";
    case kTypeF64: return "f64";
    case kTypeFuncRef: return "wasm_rt_funcref_t";
    case kTypeExternRef: return "wasm_rt_externref_t";
    default: return nullptr;
  }
}

std::string rawSignature(const RawFunctionType& type) {
  std::string out;
  for (auto t : type.params) out += letter(t);
  out += ':';
  for (auto t : type.results) out += letter(t);
  return out;
}

std::string resultCType(const RawFunctionType& type) {
  if (type.results.empty()) return "void";
  if (type.results.size() == 1) return cType(type.results[0]);
  std::string name = "struct wasm_multi_";
  for (auto t : type.results) name += letter(t);
  return name;
}

// Expression converting raw slot `slot` to the C value of type t.
std::string fromSlot(uint8_t t, const std::string& slot) {
  switch (t) {
    case kTypeI32: return "(u32)" + slot;
    case kTypeF32: return "mw_f32(" + slot + ")";
    case kTypeF64: return "mw_f64(" + slot + ")";
    default: return slot;
  }
}

// Expression converting C value `value` of type t to a raw slot.
std::string toSlot(uint8_t t, const std::string& value) {
  switch (t) {
    case kTypeI32: return "(uint64_t)(u32)(" + value + ")";
    case kTypeF32: return "mw_from_f32(" + value + ")";
    case kTypeF64: return "mw_from_f64(" + value + ")";
    default: return "(uint64_t)(" + value + ")";
  }
}

bool plainType(uint8_t t) {
  return t == kTypeI32 || t == kTypeI64 || t == kTypeF32 || t == kTypeF64;
}

Status refuseName(std::string_view what, std::string_view name) {
  // wasm2c 1.0.32 copies import and export names verbatim into C comments: a name holding
  // "*/" would end the comment and inject code into the compiled object.
  if (name.find("*/") != std::string_view::npos) {
    return Status::error("AOT engine refuses " + std::string(what) + " name containing \"*/\"");
  }
  return Status::ok();
}

Status makePrivateDir(const std::string& dir) {
  // Create missing parents (0700), then insist that the directory itself is ours and private.
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      std::string prefix = dir.substr(0, pos);
      if (mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) {
        return Status::error("cannot create AOT cache directory " + prefix + ": " +
                             std::strerror(errno));
      }
    }
  }
  struct stat st {};
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::error("AOT cache directory " + dir + " is not a directory");
  }
  if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    return Status::error("AOT cache directory " + dir +
                         " must be owned by this user and not writable by others");
  }
  return Status::ok();
}

void removeTree(const std::string& dir, const std::vector<std::string>& files) {
  for (const auto& f : files) unlink((dir + "/" + f).c_str());
  rmdir(dir.c_str());
}

bool writeFile(const std::string& path, std::string_view data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = write(fd, data.data() + off, data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return false;
    }
    off += static_cast<size_t>(n);
  }
  return close(fd) == 0;
}

const std::vector<std::string>& temporaryFiles() {
  static const std::vector<std::string> files = {"m.wasm", "m.c",  "m.h",
                                                 "shim.c", "m.so", "log.txt"};
  return files;
}

// Temporary directories of compiles that died (killed, machine crash) more than an hour ago.
void removeStaleTemporaries(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return;
  const time_t now = time(nullptr);
  std::vector<std::string> stale;
  while (dirent* entry = readdir(d)) {
    if (std::strncmp(entry->d_name, "tmp-", 4) != 0) continue;
    const std::string path = dir + "/" + entry->d_name;
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
        now - st.st_mtime > 3600) {
      stale.push_back(path);
    }
  }
  closedir(d);
  for (const auto& path : stale) removeTree(path, temporaryFiles());
}

std::shared_ptr<std::mutex> keyLock(const std::string& key) {
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<std::mutex>> locks;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = locks[key];
  auto existing = slot.lock();
  if (existing) return existing;
  auto created = std::make_shared<std::mutex>();
  slot = created;
  for (auto it = locks.begin(); it != locks.end();) {
    it = it->second.expired() ? locks.erase(it) : std::next(it);
  }
  return created;
}

}  // namespace

std::string defaultCacheDir() {
  if (const char* v = std::getenv("MESHWASM_AOT_CACHE_DIR"); v != nullptr && *v == '/') return v;
  if (const char* v = std::getenv("XDG_CACHE_HOME"); v != nullptr && *v == '/') {
    return std::string(v) + "/meshwasm/aot";
  }
  if (const char* v = std::getenv("HOME"); v != nullptr && *v == '/') {
    return std::string(v) + "/.cache/meshwasm/aot";
  }
  const char* tmp = std::getenv("TMPDIR");
  return std::string(tmp != nullptr && *tmp == '/' ? tmp : "/tmp") + "/meshwasm-aot-" +
         std::to_string(geteuid());
}

StatusOr<std::string> toolchainId() {
  static std::mutex mu;
  static std::string cached;
  std::lock_guard<std::mutex> lock(mu);
  if (!cached.empty()) return cached;
  char dir_template[] = "/tmp/meshwasm-aot-probe-XXXXXX";
  if (mkdtemp(dir_template) == nullptr) return Status::error("cannot create a temporary directory");
  const std::string log = std::string(dir_template) + "/out.txt";
  const std::string wasm2c = envOr("MESHWASM_AOT_WASM2C", "wasm2c");
  const std::string cc = envOr("MESHWASM_AOT_CC", "cc");
  auto w = runProcess({wasm2c, "--version"}, log, 10'000, nullptr);
  std::string wasm2c_version = w && w->exit_code == 0 ? firstLine(w->output) : "";
  auto c = runProcess({cc, "--version"}, log, 10'000, nullptr);
  std::string cc_version = c && c->exit_code == 0 ? firstLine(c->output) : "";
  removeTree(dir_template, {"out.txt"});
  if (wasm2c_version.empty()) {
    return Status::error("AOT engine needs wasm2c (Debian package wabt): cannot run " + wasm2c);
  }
  if (cc_version.empty()) return Status::error("AOT engine needs a C compiler: cannot run " + cc);
  std::string flags;
  for (const auto& f : ccFlags()) flags += " " + f;
  cached = "wasm2c " + wasm2c_version + " | " + cc_version + " |" + flags;
  return cached;
}

StatusOr<std::string> generateShim(const ModuleShape& shape) {
  const std::string prefix = mangle(kModuleName);  // "Z_m"
  const std::string instance_type = prefix + "_instance_t";
  std::ostringstream out;
  out << "/* Generated by meshwasm: the shim between wasm2c's output and the meshwasm host. */\n"
      << "#define MESHWASM_AOT_SHIM 1\n"
      << kAotAbiHeaderText << "\n"
      << "#include \"m.c\"\n"
      << "#if WASM_RT_MEMCHECK_SIGNAL_HANDLER || !WASM_RT_USE_STACK_DEPTH_COUNT\n"
      << "#error \"meshwasm modules need explicit bounds checks and call-depth counting\"\n"
      << "#endif\n"
      << "static inline f32 mw_f32(uint64_t v) { uint32_t b = (uint32_t)v; f32 f; "
         "memcpy(&f, &b, 4); return f; }\n"
      << "static inline f64 mw_f64(uint64_t v) { f64 f; memcpy(&f, &v, 8); return f; }\n"
      << "static inline uint64_t mw_from_f32(f32 f) { uint32_t b; memcpy(&b, &f, 4); "
         "return b; }\n"
      << "static inline uint64_t mw_from_f64(f64 f) { uint64_t b; memcpy(&b, &f, 8); "
         "return b; }\n";

  // Imports.
  std::set<std::string> import_modules;
  std::vector<std::string> import_signatures;
  uint32_t function_index = 0;
  for (const auto& import : shape.imports) {
    if (auto s = refuseName("import", import.module); !s) return s;
    if (auto s = refuseName("import", import.name); !s) return s;
    import_modules.insert(import.module);
    const std::string symbol = mangle(import.module) + mangle(import.name);
    const std::string context = "struct " + mangle(import.module) + "_instance_t*";
    switch (import.kind) {
      case ExternKind::Function: {
        const RawFunctionType& type = shape.types[import.type_index];
        for (auto t : type.params) {
          if (!plainType(t)) return Status::error("AOT engine does not support import types");
        }
        for (auto t : type.results) {
          if (!plainType(t)) return Status::error("AOT engine does not support import types");
        }
        import_signatures.push_back(rawSignature(type));
        out << resultCType(type) << " " << symbol << "(" << context << " ctx";
        for (size_t i = 0; i < type.params.size(); ++i) {
          out << ", " << cType(type.params[i]) << " a" << i;
        }
        out << ") {\n  uint64_t args[" << std::max<size_t>(type.params.size(), 1) << "];\n"
            << "  uint64_t results[" << std::max<size_t>(type.results.size(), 1) << "] = {0};\n";
        for (size_t i = 0; i < type.params.size(); ++i) {
          out << "  args[" << i << "] = " << toSlot(type.params[i], "a" + std::to_string(i))
              << ";\n";
        }
        out << "  meshwasm_aot_host_call(ctx, " << function_index << "u, args, results);\n";
        if (type.results.size() == 1) {
          out << "  return " << fromSlot(type.results[0], "results[0]") << ";\n";
        } else if (type.results.size() > 1) {
          out << "  " << resultCType(type) << " r;\n";
          for (size_t i = 0; i < type.results.size(); ++i) {
            out << "  r." << letter(type.results[i]) << i << " = "
                << fromSlot(type.results[i], "results[" + std::to_string(i) + "]") << ";\n";
          }
          out << "  return r;\n";
        }
        out << "}\n";
        ++function_index;
        break;
      }
      case ExternKind::Memory:
        out << "wasm_rt_memory_t* " << symbol << "(" << context << " ctx) {\n"
            << "  return (wasm_rt_memory_t*)meshwasm_aot_import_memory(ctx, " << import.initial
            << "u, " << import.maximum << "u);\n}\n";
        break;
      case ExternKind::Table:
        if (import.value_type == kTypeFuncRef) {
          out << "wasm_rt_funcref_table_t* " << symbol << "(" << context << " ctx) {\n"
              << "  return (wasm_rt_funcref_table_t*)meshwasm_aot_import_funcref_table(ctx, "
              << import.initial << "u, " << import.maximum << "u);\n}\n";
        } else {
          out << "wasm_rt_externref_table_t* " << symbol << "(" << context << " ctx) {\n"
              << "  (void)ctx; meshwasm_aot_missing_import(); return NULL;\n}\n";
        }
        break;
      case ExternKind::Global: {
        const char* type = cType(import.value_type);
        if (type == nullptr) return Status::error("AOT engine does not support this global import");
        out << type << "* " << symbol << "(" << context << " ctx) {\n"
            << "  (void)ctx; meshwasm_aot_missing_import(); return NULL;\n}\n";
        break;
      }
      case ExternKind::Tag: return Status::error("AOT engine does not support tag imports");
    }
  }

  // Exports.
  std::ostringstream table;
  std::string memory_accessor;
  for (size_t e = 0; e < shape.exports.size(); ++e) {
    const ModuleExport& exp = shape.exports[e];
    if (auto s = refuseName("export", exp.name); !s) return s;
    const std::string symbol = prefix + mangle(exp.name);
    std::string signature;
    std::string entry = "NULL";
    switch (exp.kind) {
      case ExternKind::Function: {
        const RawFunctionType& type = shape.types[shape.function_types[exp.index]];
        bool plain = true;
        for (auto t : type.params) plain = plain && plainType(t);
        for (auto t : type.results) plain = plain && plainType(t);
        if (!plain) break;  // references: not callable through the engine seam (entry NULL)
        signature = rawSignature(type);
        entry = "mw_export_" + std::to_string(e);
        out << "static void " << entry
            << "(void* instance, const uint64_t* args, uint64_t* results) {\n"
            << "  (void)args; (void)results;\n  ";
        std::ostringstream call;
        call << symbol << "((" << instance_type << "*)instance";
        for (size_t i = 0; i < type.params.size(); ++i) {
          call << ", " << fromSlot(type.params[i], "args[" + std::to_string(i) + "]");
        }
        call << ")";
        if (type.results.empty()) {
          out << call.str() << ";\n";
        } else if (type.results.size() == 1) {
          out << "results[0] = " << toSlot(type.results[0], call.str()) << ";\n";
        } else {
          out << resultCType(type) << " r = " << call.str() << ";\n";
          for (size_t i = 0; i < type.results.size(); ++i) {
            out << "  results[" << i << "] = "
                << toSlot(type.results[i],
                          "r." + std::string(1, letter(type.results[i])) + std::to_string(i))
                << ";\n";
          }
        }
        out << "}\n";
        break;
      }
      case ExternKind::Memory:
        if (memory_accessor.empty()) memory_accessor = symbol;
        break;
      default: break;
    }
    table << "  {" << cString(exp.name) << ", " << exp.name.size() << "u, "
          << static_cast<unsigned>(exp.kind) << "u, \"" << signature << "\", " << entry << "},\n";
  }
  if (shape.exports.empty()) table << "  {\"\", 0u, 0u, \"\", NULL},\n";

  out << "static const meshwasm_aot_export_t mw_exports[] = {\n" << table.str() << "};\n";
  out << "static const char* const mw_import_signatures[] = {\n";
  for (const auto& s : import_signatures) out << "  \"" << s << "\",\n";
  if (import_signatures.empty()) out << "  NULL,\n";
  out << "};\n";

  out << "static void mw_instantiate(void* instance, void* ctx) {\n  (void)ctx;\n  " << prefix
      << "_instantiate((" << instance_type << "*)instance";
  for (size_t i = 0; i < import_modules.size(); ++i) out << ", ctx";
  out << ");\n}\n";
  out << "static void mw_free(void* instance) { " << prefix << "_free((" << instance_type
      << "*)instance); }\n";
  out << "static void* mw_memory(void* instance) {\n";
  if (memory_accessor.empty()) {
    out << "  (void)instance;\n  return NULL;\n";
  } else {
    out << "  return " << memory_accessor << "((" << instance_type << "*)instance);\n";
  }
  out << "}\n";
  out << "__attribute__((visibility(\"default\"))) const meshwasm_aot_module_t "
         "meshwasm_aot_module_v1 = {\n"
      << "  MESHWASM_AOT_MAGIC, MESHWASM_AOT_ABI_VERSION,\n"
      << "  !WASM_RT_MEMCHECK_SIGNAL_HANDLER, WASM_RT_USE_STACK_DEPTH_COUNT,\n"
      << "  MESHWASM_AOT_MAX_CALL_DEPTH, " << import_signatures.size() << "u,\n"
      << "  sizeof(" << instance_type << "), " << prefix << "_init_module, mw_instantiate,\n"
      << "  mw_free, mw_memory, " << shape.exports.size() << "u, mw_exports, "
      << "mw_import_signatures,\n};\n";
  return out.str();
}

Status checkPrivateFile(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return Status::error("no such file: " + path);
  if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
    return Status::error("refusing to load " + path +
                         ": not a regular file owned by this user and private");
  }
  return Status::ok();
}

void evictObject(const std::string& object_path) {
  unlink(object_path.c_str());
}

StatusOr<CompileOutcome> compileToObject(const ModuleShape& shape, const CompilerOptions& options) {
  auto toolchain = toolchainId();
  if (!toolchain) return toolchain.status();
  CompileOutcome outcome;
  const std::string dir = options.cache_dir.empty() ? defaultCacheDir() : options.cache_dir;
  if (auto s = makePrivateDir(dir); !s) return s;
  outcome.key = sha256Hex(std::string(kGeneratorVersion) + "\n" + *toolchain + "\n" +
                          sha256Hex(kAotAbiHeaderText) + "\n" + sha256Hex(shape.stripped));
  outcome.object_path = dir + "/" + outcome.key + ".so";
  if (checkPrivateFile(outcome.object_path)) {
    outcome.cache_hit = true;
    return outcome;
  }
  // One compile per object in this process: a second caller waits and finds it in the cache.
  // (Other processes compile in their own temporary directories; the last rename wins.)
  std::shared_ptr<std::mutex> key_lock = keyLock(outcome.object_path);
  std::lock_guard<std::mutex> compiling(*key_lock);
  if (checkPrivateFile(outcome.object_path)) {
    outcome.cache_hit = true;
    return outcome;
  }
  removeStaleTemporaries(dir);

  auto shim = generateShim(shape);
  if (!shim) return shim.status();

  std::string tmp = dir + "/tmp-XXXXXX";
  if (mkdtemp(tmp.data()) == nullptr) {
    return Status::error("cannot create a directory in " + dir + ": " + std::strerror(errno));
  }
  const std::vector<std::string>& files = temporaryFiles();
  auto fail = [&](std::string message) {
    removeTree(tmp, files);
    return Status::error(std::move(message));
  };
  if (!writeFile(tmp + "/m.wasm", shape.stripped) || !writeFile(tmp + "/shim.c", *shim)) {
    return fail("cannot write to " + tmp);
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto w = runProcess({envOr("MESHWASM_AOT_WASM2C", "wasm2c"), tmp + "/m.wasm", "-n", kModuleName,
                       "-o", tmp + "/m.c"},
                      tmp + "/log.txt", kWasm2cTimeoutMs, options.cancel);
  if (!w) return fail(w.message());
  if (w->exit_code != 0) {
    return fail(
        "Failed to load Wasm module: wasm2c cannot compile it (SIMD and tail calls are "
        "not supported): " +
        trimmed(w->output));
  }
  outcome.wasm2c_seconds = secondsSince(t0);
  {
    // Let the shim's CALL_INDIRECT (aot_abi.h) replace wasm2c's.
    std::string code = readFile(tmp + "/m.c", size_t{1} << 31);
    const std::string macro = "#define CALL_INDIRECT(";
    if (auto pos = code.find(macro); pos != std::string::npos) {
      code.replace(pos, macro.size(), "#define MESHWASM_WASM2C_CALL_INDIRECT(");
      if (!writeFile(tmp + "/m.c", code)) return fail("cannot write to " + tmp);
    }
  }

  const auto t1 = std::chrono::steady_clock::now();
  std::vector<std::string> cc = {envOr("MESHWASM_AOT_CC", "cc")};
  for (const auto& f : ccFlags()) cc.push_back(f);
  cc.insert(cc.end(), {"-I", tmp, "-o", tmp + "/m.so", tmp + "/shim.c"});
  auto c = runProcess(cc, tmp + "/log.txt", kCcTimeoutMs, options.cancel);
  if (!c) return fail(c.message());
  if (c->exit_code != 0)
    return fail("C compiler failed on the wasm2c output: " + trimmed(c->output));
  outcome.cc_seconds = secondsSince(t1);

  chmod((tmp + "/m.so").c_str(), 0700);
  if (rename((tmp + "/m.so").c_str(), outcome.object_path.c_str()) != 0) {
    return fail("cannot publish " + outcome.object_path + ": " + std::strerror(errno));
  }
  removeTree(tmp, files);
  return outcome;
}

}  // namespace meshwasm::host::aot
