// meshwasm compile X.wasm [-o FILE] [--cache-dir DIR]: ahead-of-time compile one plugin.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "commands.h"
#include "wasm2c_engine.h"

namespace meshwasm::cli {
namespace {

constexpr const char* kUsage =
    "usage: meshwasm compile X.wasm [-o FILE] [--cache-dir DIR]\n"
    "\n"
    "Compiles a Proxy-Wasm module ahead of time (wasm2c + the system C compiler) into the\n"
    "compiled-object cache the `aot` and `auto` engines use, and prints where the object is\n"
    "and how long each step took. A module already in the cache is not compiled again.\n"
    "\n"
    "  -o FILE          also copy the compiled shared object to FILE\n"
    "  --cache-dir DIR  cache directory (default: $MESHWASM_AOT_CACHE_DIR,\n"
    "                   $XDG_CACHE_HOME/meshwasm/aot or ~/.cache/meshwasm/aot)\n"
    "\n"
    "Tools: $MESHWASM_AOT_WASM2C (default wasm2c), $MESHWASM_AOT_CC (default cc).\n";

bool readFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return !in.bad();
}

// Copies `from` to `to` through a temporary file in the target directory and a rename.
bool copyFile(const std::string& from, const std::string& to, std::string* error) {
  std::string bytes;
  if (!readFile(from, &bytes)) {
    *error = "cannot read " + from;
    return false;
  }
  const std::string tmp = to + ".tmp." + std::to_string(getpid());
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  if (fd < 0) {
    *error = "cannot write " + tmp;
    return false;
  }
  size_t off = 0;
  bool ok = true;
  while (ok && off < bytes.size()) {
    ssize_t n = write(fd, bytes.data() + off, bytes.size() - off);
    if (n > 0) {
      off += static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      ok = false;
    }
  }
  ok = (close(fd) == 0) && ok;
  if (!ok || rename(tmp.c_str(), to.c_str()) != 0) {
    unlink(tmp.c_str());
    *error = "cannot write " + to;
    return false;
  }
  return true;
}

std::string millis(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1000);
  return buf;
}

}  // namespace

int compileCommand(int argc, char** argv) {
  std::string input;
  std::string output;
  host::AotOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if ((arg == "-o" || arg == "--cache-dir") && i + 1 < argc) {
      (arg == "-o" ? output : options.cache_dir) = argv[++i];
    } else if (!arg.empty() && arg[0] != '-' && input.empty()) {
      input = std::string(arg);
    } else {
      std::fprintf(stderr, "meshwasm compile: unexpected argument '%s'\n\n%s", argv[i], kUsage);
      return 2;
    }
  }
  if (input.empty()) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string bytes;
  if (!readFile(input, &bytes)) {
    std::fprintf(stderr, "meshwasm compile: cannot read %s\n", input.c_str());
    return 1;
  }
  auto report = host::compileAot(bytes, options);
  if (!report) {
    std::fprintf(stderr, "meshwasm compile: %s: %s\n", input.c_str(), report.message().c_str());
    return 1;
  }
  std::printf("%s: %zu bytes\n", input.c_str(), bytes.size());
  std::printf("toolchain: %s\n", report->toolchain.c_str());
  std::printf("object:    %s (%s)\n", report->object_path.c_str(),
              report->cache_hit ? "cache hit" : "compiled now");
  if (report->cache_hit) {
    std::printf("timings:   validate+parse %s, load %s\n", millis(report->parse_seconds).c_str(),
                millis(report->load_seconds).c_str());
  } else {
    std::printf("timings:   validate+parse %s, wasm2c %s, cc %s, load %s\n",
                millis(report->parse_seconds).c_str(), millis(report->wasm2c_seconds).c_str(),
                millis(report->cc_seconds).c_str(), millis(report->load_seconds).c_str());
  }
  if (!output.empty()) {
    std::string error;
    if (!copyFile(report->object_path, output, &error)) {
      std::fprintf(stderr, "meshwasm compile: %s\n", error.c_str());
      return 1;
    }
    std::printf("written:   %s\n", output.c_str());
  }
  return 0;
}

}  // namespace meshwasm::cli
