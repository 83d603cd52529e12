// The `meshwasm` command: dispatches to one subcommand.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "commands.h"

namespace {

constexpr const char* kUsage =
    "usage: meshwasm <command> [options]\n"
    "\n"
    "commands:\n"
    "  replay    run a Proxy-Wasm plugin over a table of requests, print JSON lines\n"
    "  run       serve HTTP through a chain of Proxy-Wasm plugins (local gateway)\n"
    "  compile   compile a plugin ahead of time (wasm2c + the system C compiler)\n"
    "  image     build, push and pull OCI images holding plugin.wasm\n"
    "  manifest  render an Istio WasmPlugin for an image\n"
    "\n"
    "`meshwasm <command> --help` describes a command.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string_view command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  using namespace meshwasm::cli;
  if (command == "replay") return replayCommand(argc - 1, argv + 1);
  if (command == "run") return runCommand(argc - 1, argv + 1);
  if (command == "compile") return compileCommand(argc - 1, argv + 1);
  if (command == "image") return imageCommand(argc - 1, argv + 1);
  if (command == "manifest") return manifestCommand(argc - 1, argv + 1);
  std::fprintf(stderr, "meshwasm: unknown command '%s'\n\n%s", argv[1], kUsage);
  return 2;
}
