// FAIL_RELOAD backoff (see backoff.h).
#include "backoff.h"

#include <memory>
#include <random>
#include <utility>

namespace meshwasm::host {

RandomSource makeSeededRandomSource() {
  std::random_device device;
  std::seed_seq seed{device(), device(), device(), device()};
  auto engine = std::make_shared<std::mt19937_64>(seed);
  return [engine] { return (*engine)(); };
}

JitteredLowerBoundBackoff::JitteredLowerBoundBackoff(uint64_t min_ms, RandomSource random)
    : min_ms_(min_ms), random_(std::move(random)) {}

uint64_t JitteredLowerBoundBackoff::nextMs() {
  uint64_t spread = min_ms_ / 2;
  if (spread == 0 || !random_) return min_ms_;
  return min_ms_ + random_() % spread;
}

JitteredExponentialBackoff::JitteredExponentialBackoff(uint64_t base_ms, uint64_t max_ms,
                                                       RandomSource random)
    : base_ms_(base_ms),
      max_ms_(max_ms < base_ms ? base_ms : max_ms),
      next_interval_ms_(base_ms),
      random_(std::move(random)) {}

uint64_t JitteredExponentialBackoff::nextMs() {
  uint64_t interval = next_interval_ms_;
  // Doubling stops at max (also before the multiplication could overflow).
  next_interval_ms_ = next_interval_ms_ < max_ms_ / 2 ? next_interval_ms_ * 2 : max_ms_;
  if (interval == 0 || !random_) return 0;
  return random_() % interval;
}

ReloadSchedule::ReloadSchedule(std::chrono::milliseconds base,
                               std::optional<std::chrono::milliseconds> max, RandomSource random) {
  uint64_t base_ms = base.count() > 0 ? static_cast<uint64_t>(base.count()) : 0;
  if (max) {
    uint64_t max_ms = max->count() > 0 ? static_cast<uint64_t>(max->count()) : 0;
    exponential_.emplace(base_ms, max_ms, std::move(random));
  } else {
    lower_bound_.emplace(base_ms, std::move(random));
  }
}

bool ReloadSchedule::due(Clock::time_point now) {
  uint64_t wait_ms = 0;
  if (lower_bound_) {
    wait_ms = lower_bound_->nextMs();
  } else {
    if (!pending_wait_ms_) pending_wait_ms_ = exponential_->nextMs();
    wait_ms = *pending_wait_ms_;
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - last_load_);
  return elapsed.count() >= 0 && static_cast<uint64_t>(elapsed.count()) >= wait_ms;
}

void ReloadSchedule::attempted(Clock::time_point now, bool succeeded) {
  last_load_ = now;
  pending_wait_ms_.reset();
  if (succeeded && exponential_) exponential_->reset();
}

}  // namespace meshwasm::host
