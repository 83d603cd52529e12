#include <cstdio>

#include "commands.h"

namespace meshwasm::cli {

int compileCommand(int, char**) {
  std::fputs("meshwasm compile: not built into this version yet\n", stderr);
  return 2;
}

}  // namespace meshwasm::cli
