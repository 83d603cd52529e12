// FAIL_RELOAD through a real engine with the scripted guest (guests/lifecycle.c), an injected
// clock and random source: a trapped VM is not replaced before the backoff since its last load
// and is replaced by the first request after it (Envoy's PluginConfig::maybeReloadHandleIfNeeded).
#include <gtest/gtest.h>

#include <deque>
#include <memory>

#include "meshwasm/host/engines.h"
#include "meshwasm/host/plugin.h"
#include "test_guest.h"

namespace meshwasm::host {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class LogRecorder : public Embedder {
 public:
  void log(const LogRecord& r) override { logs.push_back(std::string(r.message)); }
  std::vector<std::string> take() { return std::exchange(logs, {}); }
  std::vector<std::string> logs;
};

class ReloadBackoff : public ::testing::TestWithParam<std::string> {
 protected:
  // A FAIL_RELOAD VM of the lifecycle guest whose clock is `now_` and whose random source
  // always answers `random`.
  std::shared_ptr<PluginVm> start(milliseconds base, std::optional<milliseconds> max,
                                  uint64_t random) {
    auto engine = makeEngine(GetParam());
    EXPECT_TRUE(engine.isOk()) << engine.message();
    PluginConfig c;
    c.name = "rb";
    c.fail_strategy = FailStrategy::FailReload;
    c.reload_backoff = base;
    c.reload_max_backoff = max;
    c.reload_random = [random] { return random; };
    c.reload_clock = [now = now_] { return *now; };
    auto plugin = Plugin::load(std::move(*engine), readTestGuest("lifecycle"), c);
    EXPECT_TRUE(plugin.isOk()) << plugin.message();
    if (!plugin) return nullptr;
    auto vm = PluginVm::create(*plugin, std::make_shared<SharedState>(), &embedder_);
    EXPECT_TRUE(vm.isOk()) << vm.message();
    embedder_.take();
    return vm ? *vm : nullptr;
  }
  void at(milliseconds since_start) { *now_ = kStart + since_start; }

  // One request with the given script; its first callback's action.
  FilterAction request(PluginVm& vm, const std::string& script) {
    Headers& h =
        headers_.emplace_back(Headers{{":method", "GET"}, {":path", "/p"}, {":authority", "h"}});
    if (!script.empty()) h.emplace_back("x-test", script);
    auto stream = vm.newStream();
    FilterAction action = stream->onRequestHeaders(h, true);
    if (action == FilterAction::LocalReply) last_status_ = stream->localReply()->status;
    stream->onComplete();
    return action;
  }

  const Clock::time_point kStart = Clock::time_point{} + std::chrono::hours(10);
  std::shared_ptr<Clock::time_point> now_ = std::make_shared<Clock::time_point>(kStart);
  std::deque<Headers> headers_;
  LogRecorder embedder_;
  uint32_t last_status_ = 0;
};

TEST_P(ReloadBackoff, TrappedVmIsNotReplacedBeforeTheBackoffAndIsAfterIt) {
  // Envoy's wait: 1000 + 200 % 500 = 1200 ms since the VM was loaded.
  auto vm = start(milliseconds(1000), std::nullopt, 200);
  ASSERT_TRUE(vm);
  at(milliseconds(5));
  EXPECT_EQ(request(*vm, "rh=trap"), FilterAction::LocalReply);
  EXPECT_EQ(last_status_, 503u);
  EXPECT_TRUE(vm->failed());

  at(milliseconds(1199));
  last_status_ = 0;
  EXPECT_EQ(request(*vm, "rh=local"), FilterAction::LocalReply) << "fail-closed in the backoff";
  EXPECT_EQ(last_status_, 503u) << "the failed VM answered, not the guest's local reply";
  EXPECT_EQ(vm->reloadCount(), 0u);

  embedder_.take();
  at(milliseconds(1200));
  EXPECT_EQ(request(*vm, ""), FilterAction::Continue) << "a fresh VM ran the request";
  EXPECT_EQ(vm->reloadCount(), 1u);
  EXPECT_FALSE(vm->failed());
  auto logs = embedder_.take();
  ASSERT_FALSE(logs.empty());
  EXPECT_EQ(logs.front(), "on_context_create 1 0") << "a new VM, new root context";
}

TEST_P(ReloadBackoff, TheNextBackoffCountsFromTheReload) {
  auto vm = start(milliseconds(1000), std::nullopt, 200);  // 1200 ms each time
  ASSERT_TRUE(vm);
  at(milliseconds(10));
  request(*vm, "rh=trap");
  at(milliseconds(1200));
  ASSERT_EQ(request(*vm, "rh=trap"), FilterAction::LocalReply);  // the reloaded VM traps too
  EXPECT_EQ(vm->reloadCount(), 1u);
  EXPECT_TRUE(vm->failed());
  at(milliseconds(2399));
  request(*vm, "");
  EXPECT_EQ(vm->reloadCount(), 1u);
  at(milliseconds(2400));
  EXPECT_EQ(request(*vm, ""), FilterAction::Continue);
  EXPECT_EQ(vm->reloadCount(), 2u);
}

TEST_P(ReloadBackoff, VmFailingLongAfterItsLoadIsReplacedByTheNextRequest) {
  auto vm = start(milliseconds(1000), std::nullopt, 499);  // waits 1499 ms
  ASSERT_TRUE(vm);
  at(std::chrono::minutes(30));
  EXPECT_EQ(request(*vm, "rh=trap"), FilterAction::LocalReply);
  EXPECT_EQ(request(*vm, ""), FilterAction::Continue) << "30 min since the load: no wait";
  EXPECT_EQ(vm->reloadCount(), 1u);
}

TEST_P(ReloadBackoff, WithAMaxTheWaitIsFullJitterFromTheBase) {
  // meshwasm extension: 1234 % 1000 = 234 ms after the load.
  auto vm = start(milliseconds(1000), milliseconds(10000), 1234);
  ASSERT_TRUE(vm);
  at(milliseconds(1));
  request(*vm, "rh=trap");
  at(milliseconds(233));
  EXPECT_EQ(request(*vm, ""), FilterAction::LocalReply);
  EXPECT_EQ(vm->reloadCount(), 0u);
  at(milliseconds(234));
  EXPECT_EQ(request(*vm, ""), FilterAction::Continue);
  EXPECT_EQ(vm->reloadCount(), 1u);
}

TEST_P(ReloadBackoff, OtherFailStrategiesNeverReload) {
  auto engine = makeEngine(GetParam());
  ASSERT_TRUE(engine.isOk());
  PluginConfig c;
  c.name = "rb";
  c.fail_strategy = FailStrategy::FailClose;
  c.reload_backoff = milliseconds(0);
  auto plugin = Plugin::load(std::move(*engine), readTestGuest("lifecycle"), c);
  ASSERT_TRUE(plugin.isOk()) << plugin.message();
  auto vm = PluginVm::create(*plugin, std::make_shared<SharedState>(), &embedder_);
  ASSERT_TRUE(vm.isOk());
  request(**vm, "rh=trap");
  EXPECT_EQ(request(**vm, ""), FilterAction::LocalReply);
  EXPECT_EQ((*vm)->reloadCount(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Engines, ReloadBackoff, ::testing::Values("interp", "aot"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace meshwasm::host
