// FAIL_RELOAD backoff (src/backoff.h) with a scripted random source and explicit times: the
// exact draws of Envoy's two jittered strategies, the cap, the reset, and when a failed VM
// may be replaced.
#include "backoff.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace meshwasm::host {
namespace {

using std::chrono::milliseconds;
using Clock = ReloadSchedule::Clock;

// Answers the given values in order, then starts over.
RandomSource scripted(std::vector<uint64_t> values) {
  auto state = std::make_shared<std::pair<std::vector<uint64_t>, size_t>>(std::move(values), 0);
  return [state] {
    uint64_t v = state->first[state->second % state->first.size()];
    ++state->second;
    return v;
  };
}

RandomSource constant(uint64_t value) {
  return [value] { return value; };
}

const Clock::time_point kT0 = Clock::time_point{} + std::chrono::hours(1);

TEST(JitteredLowerBoundBackoff, DrawsBasePlusRandomModuloHalfTheBase) {
  JitteredLowerBoundBackoff b(1000, scripted({0, 499, 500, 1234, UINT64_MAX}));
  EXPECT_EQ(b.nextMs(), 1000u);  // 1000 + 0 % 500
  EXPECT_EQ(b.nextMs(), 1499u);  // 1000 + 499 % 500: the largest draw
  EXPECT_EQ(b.nextMs(), 1000u);  // 1000 + 500 % 500
  EXPECT_EQ(b.nextMs(), 1234u);  // 1000 + 1234 % 500
  EXPECT_EQ(b.nextMs(), 1115u);  // 1000 + (2^64 - 1) % 500
  // It never grows: the next round gives the same values.
  EXPECT_EQ(b.nextMs(), 1000u);
  EXPECT_EQ(b.nextMs(), 1499u);
}

TEST(JitteredLowerBoundBackoff, BaseOfZeroOneOrTwoHasNoRoomForJitter) {
  EXPECT_EQ(JitteredLowerBoundBackoff(0, constant(7)).nextMs(), 0u);
  EXPECT_EQ(JitteredLowerBoundBackoff(1, constant(7)).nextMs(), 1u);
  EXPECT_EQ(JitteredLowerBoundBackoff(2, constant(7)).nextMs(), 2u);  // 2 + 7 % 1
  EXPECT_EQ(JitteredLowerBoundBackoff(3, constant(7)).nextMs(), 3u);  // 3 + 7 % 1
  EXPECT_EQ(JitteredLowerBoundBackoff(4, constant(7)).nextMs(), 5u);  // 4 + 7 % 2
}

TEST(JitteredExponentialBackoff, DrawsFullJitterFromADoublingInterval) {
  JitteredExponentialBackoff b(100, 10000, constant(6399));
  EXPECT_EQ(b.nextIntervalMs(), 100u);
  EXPECT_EQ(b.nextMs(), 99u);    // 6399 % 100
  EXPECT_EQ(b.nextMs(), 199u);   // % 200
  EXPECT_EQ(b.nextMs(), 399u);   // % 400
  EXPECT_EQ(b.nextMs(), 799u);   // % 800
  EXPECT_EQ(b.nextMs(), 1599u);  // % 1600
  EXPECT_EQ(b.nextMs(), 3199u);  // % 3200
  EXPECT_EQ(b.nextIntervalMs(), 6400u);
}

TEST(JitteredExponentialBackoff, ScriptedRandomValuesGiveExactDraws) {
  JitteredExponentialBackoff b(1000, 10000, scripted({0, 1500, 3999, 12345, 7}));
  EXPECT_EQ(b.nextMs(), 0u);     // 0 % 1000: full jitter may answer "at once"
  EXPECT_EQ(b.nextMs(), 1500u);  // 1500 % 2000
  EXPECT_EQ(b.nextMs(), 3999u);  // 3999 % 4000
  EXPECT_EQ(b.nextMs(), 4345u);  // 12345 % 8000
  EXPECT_EQ(b.nextMs(), 7u);     // 7 % 10000 (8000 doubled passes the max: 10000)
}

TEST(JitteredExponentialBackoff, IntervalStopsAtTheMaxAndEveryDrawStaysBelowIt) {
  JitteredExponentialBackoff b(300, 1000, constant(UINT64_MAX));
  std::vector<uint64_t> intervals;
  std::vector<uint64_t> draws;
  for (int i = 0; i < 6; ++i) {
    intervals.push_back(b.nextIntervalMs());
    draws.push_back(b.nextMs());
  }
  // 600 doubled would be 1200: the interval becomes the max instead.
  EXPECT_EQ(intervals, (std::vector<uint64_t>{300, 600, 1000, 1000, 1000, 1000}));
  // (2^64 - 1) % 300, % 600, then % 1000.
  EXPECT_EQ(draws, (std::vector<uint64_t>{15, 15, 615, 615, 615, 615}));
}

TEST(JitteredExponentialBackoff, MaxEqualToBaseNeverGrows) {
  JitteredExponentialBackoff b(500, 500, constant(1234));
  EXPECT_EQ(b.nextMs(), 234u);
  EXPECT_EQ(b.nextMs(), 234u);
  EXPECT_EQ(b.nextIntervalMs(), 500u);
}

TEST(JitteredExponentialBackoff, HugeIntervalsDoNotOverflow) {
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  JitteredExponentialBackoff b(uint64_t{1} << 62, max, constant(5));
  b.nextMs();
  EXPECT_EQ(b.nextIntervalMs(), uint64_t{1} << 63);
  b.nextMs();
  EXPECT_EQ(b.nextIntervalMs(), max);
  b.nextMs();
  EXPECT_EQ(b.nextIntervalMs(), max);
}

TEST(JitteredExponentialBackoff, ResetGoesBackToTheBaseInterval) {
  JitteredExponentialBackoff b(100, 1000, constant(999999));
  b.nextMs();
  b.nextMs();
  b.nextMs();
  EXPECT_EQ(b.nextIntervalMs(), 800u);
  b.reset();
  EXPECT_EQ(b.nextIntervalMs(), 100u);
  EXPECT_EQ(b.nextMs(), 99u);
  EXPECT_EQ(b.nextMs(), 199u);
}

TEST(ReloadSchedule, EnvoyModeWaitsAJitteredBaseSinceTheLastLoad) {
  // Draws: 1000 + 200 % 500 = 1200 for every request.
  ReloadSchedule s(milliseconds(1000), std::nullopt, constant(200));
  s.loaded(kT0);
  EXPECT_FALSE(s.due(kT0 + milliseconds(10)));
  EXPECT_FALSE(s.due(kT0 + milliseconds(1199)));
  EXPECT_TRUE(s.due(kT0 + milliseconds(1200)));
  EXPECT_TRUE(s.due(kT0 + milliseconds(5000)));
}

TEST(ReloadSchedule, EnvoyModeDrawsANewWaitForEveryRequest) {
  // 1400, then 1000, then 1499 ...
  ReloadSchedule s(milliseconds(1000), std::nullopt, scripted({400, 0, 499}));
  s.loaded(kT0);
  EXPECT_FALSE(s.due(kT0 + milliseconds(1200)));  // waits 1400
  EXPECT_TRUE(s.due(kT0 + milliseconds(1200)));   // waits 1000
  EXPECT_FALSE(s.due(kT0 + milliseconds(1200)));  // waits 1499
}

TEST(ReloadSchedule, EnvoyModeReloadsAtOnceWhenTheVmFailsLongAfterItsLoad) {
  ReloadSchedule s(milliseconds(1000), std::nullopt, constant(499));
  s.loaded(kT0);
  // The VM served for an hour, then trapped: the first request after the trap reloads.
  EXPECT_TRUE(s.due(kT0 + std::chrono::hours(1)));
}

TEST(ReloadSchedule, EnvoyModeMeasuresFromEveryAttemptAndNeverGrows) {
  ReloadSchedule s(milliseconds(1000), std::nullopt, constant(200));  // 1200 each time
  s.loaded(kT0);
  Clock::time_point t = kT0 + milliseconds(1200);
  for (int failed_reloads = 0; failed_reloads < 5; ++failed_reloads) {
    ASSERT_TRUE(s.due(t));
    s.attempted(t, /*succeeded=*/false);
    EXPECT_EQ(s.lastLoad(), t);
    EXPECT_FALSE(s.due(t + milliseconds(1199))) << "after " << failed_reloads + 1;
    t += milliseconds(1200);
  }
  ASSERT_TRUE(s.due(t));
  s.attempted(t, /*succeeded=*/true);
  EXPECT_FALSE(s.due(t + milliseconds(1199)));
  EXPECT_TRUE(s.due(t + milliseconds(1200)));
}

TEST(ReloadSchedule, ZeroBaseReloadsOnTheNextRequest) {
  ReloadSchedule s(milliseconds(0), std::nullopt, constant(12345));
  s.loaded(kT0);
  EXPECT_TRUE(s.due(kT0));
}

TEST(ReloadSchedule, WithAMaxConsecutiveFailedReloadsGrowTheWaitUpToTheMax) {
  ReloadSchedule s(milliseconds(100), milliseconds(1000), constant(999999));
  s.loaded(kT0);
  Clock::time_point t = kT0 + milliseconds(5);  // the trap
  // Waits 99, 199, 399, 799, 999, 999: % 100, 200, 400, 800, then the max 1000.
  std::vector<uint64_t> waits;
  Clock::time_point last = kT0;
  for (int attempt = 0; attempt < 6; ++attempt) {
    while (!s.due(t)) t += milliseconds(1);
    waits.push_back(static_cast<uint64_t>((t - last) / milliseconds(1)));
    EXPECT_EQ(*s.pendingWaitMs(), waits.back());
    s.attempted(t, /*succeeded=*/false);
    last = t;
  }
  EXPECT_EQ(waits, (std::vector<uint64_t>{99, 199, 399, 799, 999, 999}));
}

TEST(ReloadSchedule, WithAMaxOneWaitIsDrawnPerFailureNotPerRequest) {
  ReloadSchedule s(milliseconds(1000), milliseconds(8000), scripted({700, 3, 3, 3}));
  s.loaded(kT0);
  EXPECT_FALSE(s.due(kT0 + milliseconds(100)));  // draws 700 % 1000
  EXPECT_FALSE(s.due(kT0 + milliseconds(699)));  // still 700: no new draw
  EXPECT_EQ(s.pendingWaitMs(), std::optional<uint64_t>(700));
  EXPECT_TRUE(s.due(kT0 + milliseconds(700)));
}

TEST(ReloadSchedule, WithAMaxASuccessfulReloadResetsTheGrowth) {
  ReloadSchedule s(milliseconds(100), milliseconds(1000), constant(999999));
  s.loaded(kT0);
  Clock::time_point t = kT0 + milliseconds(99);
  ASSERT_TRUE(s.due(t));
  s.attempted(t, /*succeeded=*/false);  // next wait 199
  t += milliseconds(199);
  ASSERT_TRUE(s.due(t));
  s.attempted(t, /*succeeded=*/false);  // next wait 399
  t += milliseconds(399);
  ASSERT_TRUE(s.due(t));
  s.attempted(t, /*succeeded=*/true);  // the new VM works: back to the base interval
  // It traps later; the wait is 99 again, counted from the successful reload.
  EXPECT_FALSE(s.due(t + milliseconds(98)));
  EXPECT_TRUE(s.due(t + milliseconds(99)));
}

TEST(ReloadSchedule, NoRandomSourceMeansNoJitter) {
  ReloadSchedule envoy(milliseconds(1000), std::nullopt, nullptr);
  envoy.loaded(kT0);
  EXPECT_FALSE(envoy.due(kT0 + milliseconds(999)));
  EXPECT_TRUE(envoy.due(kT0 + milliseconds(1000)));
}

TEST(SeededRandomSource, TwoSourcesDiffer) {
  RandomSource a = makeSeededRandomSource();
  RandomSource b = makeSeededRandomSource();
  // Four 64-bit draws all equal would mean the same seed (probability 2^-256 otherwise).
  bool differ = false;
  for (int i = 0; i < 4; ++i) differ |= a() != b();
  EXPECT_TRUE(differ);
}

}  // namespace
}  // namespace meshwasm::host
