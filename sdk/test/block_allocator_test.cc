// The guest allocator's algorithm (block_allocator.h) over a test arena: alignment, reuse per
// size class, aligned requests, realloc, limits, and bounded memory under steady traffic.
#include "block_allocator.h"

#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

namespace meshwasm::sdk::detail {
namespace {

constexpr size_t kArenaSize = size_t{64} << 20;
alignas(16) unsigned char arena[kArenaSize];
size_t arena_used = 0;
size_t arena_limit = kArenaSize;

void* growArena(size_t bytes) {
  if (bytes > arena_limit - arena_used) return nullptr;
  void* block = arena + arena_used;
  arena_used += bytes;
  return block;
}

using Allocator = BlockAllocator<growArena>;

class BlockAllocatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    arena_used = 0;
    arena_limit = kArenaSize;
  }
  Allocator allocator;
};

TEST_F(BlockAllocatorTest, ReturnsEightAlignedDistinctWritableMemory) {
  std::set<void*> seen;
  for (size_t size : {0, 1, 7, 8, 9, 100, 1000, 5000, 70000}) {
    void* memory = allocator.allocate(size);
    ASSERT_NE(memory, nullptr) << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(memory) % 8, 0u);
    EXPECT_GE(Allocator::capacity(memory), size);
    std::memset(memory, 0xab, size);
    EXPECT_TRUE(seen.insert(memory).second);
  }
}

TEST_F(BlockAllocatorTest, AFreedBlockIsReusedByItsSizeClass) {
  void* first = allocator.allocate(100);
  allocator.release(first);
  EXPECT_EQ(allocator.allocate(90), first);  // same class (128-byte blocks)
  void* other = allocator.allocate(1000);    // another class: fresh memory
  EXPECT_NE(other, first);
}

TEST_F(BlockAllocatorTest, RoundsBlocksToPowersOfTwo) {
  void* memory = allocator.allocate(100);  // 100 + 8 header -> 128-byte block
  EXPECT_EQ(Allocator::capacity(memory), 120u);
  EXPECT_EQ(arena_used, 128u);
}

TEST_F(BlockAllocatorTest, EachRequestGetsTheSmallestBlockThatHoldsIt) {
  // size -> block (size + 8-byte header rounded up to a power of two, 16 at least)
  const std::pair<size_t, size_t> cases[] = {
      {0, 16},   {8, 16},      {9, 32},      {24, 32},       {25, 64},       {56, 64},
      {57, 128}, {1016, 1024}, {1017, 2048}, {65528, 65536}, {65529, 131072}};
  for (const auto& [size, block] : cases) {
    void* memory = allocator.allocate(size);
    ASSERT_NE(memory, nullptr) << size;
    EXPECT_EQ(Allocator::capacity(memory), block - 8) << size;
  }
}

TEST_F(BlockAllocatorTest, HonoursLargerAlignmentsAndFreesTheWholeBlock) {
  for (size_t alignment : {16, 64, 256, 4096}) {
    void* memory = allocator.allocate(10, alignment);
    ASSERT_NE(memory, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(memory) % alignment, 0u) << alignment;
    EXPECT_GE(Allocator::capacity(memory), 10u);
    allocator.release(memory);
    EXPECT_EQ(allocator.allocate(10, alignment), memory) << alignment;
  }
}

TEST_F(BlockAllocatorTest, ReallocKeepsTheBytesAndTheBlockWhileItFits) {
  auto* memory = static_cast<char*>(allocator.allocate(10));
  std::memcpy(memory, "0123456789", 10);
  EXPECT_EQ(allocator.reallocate(memory, 20), memory);  // 24 bytes of room
  auto* larger = static_cast<char*>(allocator.reallocate(memory, 1000));
  ASSERT_NE(larger, nullptr);
  EXPECT_NE(larger, memory);
  EXPECT_EQ(std::memcmp(larger, "0123456789", 10), 0);
  EXPECT_EQ(allocator.allocate(10), memory);  // the old block went back to its class
  EXPECT_NE(allocator.reallocate(nullptr, 5), nullptr);
}

TEST_F(BlockAllocatorTest, RefusesWhatItCannotServe) {
  EXPECT_EQ(allocator.allocate(Allocator::kMaxRequest + 1), nullptr);
  EXPECT_EQ(allocator.allocate(8, 24), nullptr);    // not a power of two
  EXPECT_EQ(allocator.allocate(8, 8192), nullptr);  // above kMaxAlignment
  arena_limit = 64;
  EXPECT_NE(allocator.allocate(40), nullptr);  // one 64-byte block
  EXPECT_EQ(allocator.allocate(40), nullptr);  // the arena is exhausted
  allocator.release(nullptr);                  // no-op
}

TEST_F(BlockAllocatorTest, SteadyTrafficDoesNotGrowMemory) {
  const size_t sizes[] = {3, 40, 200, 1500, 40000, 17, 300};
  auto round = [&] {
    std::vector<void*> live;
    for (size_t size : sizes) live.push_back(allocator.allocate(size));
    for (void* memory : live) allocator.release(memory);
  };
  round();
  const size_t after_first = arena_used;
  for (int i = 0; i < 10000; ++i) round();
  EXPECT_EQ(arena_used, after_first);
}

}  // namespace
}  // namespace meshwasm::sdk::detail
