#include <gtest/gtest.h>

#include "meshwasm/host/engines.h"

namespace meshwasm::host {
namespace {
TEST(Engines, UnknownEngineNameIsAnError) {
  auto engine = makeEngine("v8");
  ASSERT_FALSE(engine.isOk());
  EXPECT_EQ(engine.message(), "Unknown Wasm engine: v8 (known: interp)");
}
}  // namespace
}  // namespace meshwasm::host
