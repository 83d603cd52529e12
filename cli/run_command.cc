#include <cstdio>

#include "commands.h"

namespace meshwasm::cli {

int runCommand(int, char**) {
  std::fputs("meshwasm run: not built into this version yet\n", stderr);
  return 2;
}

}  // namespace meshwasm::cli
