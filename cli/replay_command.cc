#include <cstdio>

#include "commands.h"

namespace meshwasm::cli {

int replayCommand(int, char**) {
  std::fputs("meshwasm replay: not built into this version yet\n", stderr);
  return 2;
}

}  // namespace meshwasm::cli
