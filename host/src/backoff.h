// Backoff for FAIL_RELOAD: when a worker may replace its failed VM (reference 10.2).
//
// Envoy (PluginConfig::maybeReloadHandleIfNeeded, extensions/common/wasm) keeps, per worker,
// the time its VM was last loaded (the first load, then every reload attempt). A request that
// finds the VM failed by a runtime error draws a wait from the backoff strategy; when less
// than that wait has passed since the last load, the request is answered fail-closed,
// otherwise a new VM is created (start + configure) and the last-load time becomes now,
// whether the new VM works or not. The strategy is Envoy's JitteredLowerBoundBackOffStrategy
// on `reload_config.backoff.base_interval` (default 1 s): every draw is uniform in
// [base, 1.5 * base); `max_interval` is not used and the wait does not grow.
//
// meshwasm extension: with a max interval the wait follows Envoy's
// JitteredExponentialBackOffStrategy instead (full jitter in [0, interval), the interval
// doubling from base up to max after each failed reload, back to base after a successful one);
// one wait is drawn per failure, not per request.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

namespace meshwasm::host {

// A source of uniformly distributed 64-bit values (Envoy's Random::RandomGenerator::random()).
using RandomSource = std::function<uint64_t()>;

// A RandomSource seeded from std::random_device (one engine per call).
RandomSource makeSeededRandomSource();

// Envoy's JitteredLowerBoundBackOffStrategy: every draw is min + random % (min / 2), i.e. in
// [min, 1.5 * min). Envoy requires min > 1; here a min of 0 or 1 is answered unjittered.
class JitteredLowerBoundBackoff {
 public:
  JitteredLowerBoundBackoff(uint64_t min_ms, RandomSource random);
  uint64_t nextMs();

 private:
  uint64_t min_ms_;
  RandomSource random_;
};

// Envoy's JitteredExponentialBackOffStrategy: draw n answers random % interval(n) where
// interval(1) = base and each draw doubles the interval, which becomes max once doubling
// would pass max (so every answer is below max). reset() goes back to base. Envoy requires
// 0 < base <= max; here a base of 0 answers 0 and a max below base is raised to base.
class JitteredExponentialBackoff {
 public:
  JitteredExponentialBackoff(uint64_t base_ms, uint64_t max_ms, RandomSource random);
  uint64_t nextMs();
  void reset() { next_interval_ms_ = base_ms_; }
  // The interval the next draw is taken from (tests, diagnostics).
  uint64_t nextIntervalMs() const { return next_interval_ms_; }

 private:
  uint64_t base_ms_;
  uint64_t max_ms_;
  uint64_t next_interval_ms_;
  RandomSource random_;
};

// When one worker's failed VM may be replaced. Single-threaded (the worker's thread).
class ReloadSchedule {
 public:
  using Clock = std::chrono::steady_clock;

  // `max` empty: Envoy's behaviour (lower-bound jitter on `base`, drawn per request).
  ReloadSchedule(std::chrono::milliseconds base, std::optional<std::chrono::milliseconds> max,
                 RandomSource random);

  // A VM was created (the worker's first load): waits are measured from `now`.
  void loaded(Clock::time_point now) { last_load_ = now; }
  // A request found the VM failed: may a new VM be created now? (Draws the wait.)
  bool due(Clock::time_point now);
  // A new VM was created at `now`; `succeeded` = it started and configured.
  void attempted(Clock::time_point now, bool succeeded);

  Clock::time_point lastLoad() const { return last_load_; }
  // The wait drawn for the current failure (growing mode only; empty before the first due()).
  std::optional<uint64_t> pendingWaitMs() const { return pending_wait_ms_; }

 private:
  Clock::time_point last_load_{};
  std::optional<JitteredLowerBoundBackoff> lower_bound_;
  std::optional<JitteredExponentialBackoff> exponential_;
  std::optional<uint64_t> pending_wait_ms_;
};

}  // namespace meshwasm::host
