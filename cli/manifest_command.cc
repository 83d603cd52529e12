#include <cstdio>

#include "commands.h"

namespace meshwasm::cli {

int manifestCommand(int, char**) {
  std::fputs("meshwasm manifest: not built into this version yet\n", stderr);
  return 2;
}

}  // namespace meshwasm::cli
