#include <cstdio>

#include "commands.h"

namespace meshwasm::cli {

int imageCommand(int, char**) {
  std::fputs("meshwasm image: not built into this version yet\n", stderr);
  return 2;
}

}  // namespace meshwasm::cli
