// The host tests' guest modules (host/test/guests/, built to $MESHWASM_WASM_DIR/test_NAME.wasm).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace meshwasm::host {

// The bytes of test_NAME.wasm; a test that reads a missing module fails.
inline std::string readTestGuest(const std::string& name) {
  const char* dir = std::getenv("MESHWASM_WASM_DIR");
  std::string path = std::string(dir ? dir : "build/wasm") + "/test_" + name + ".wasm";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing guest module " << path;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace meshwasm::host
