// A local reply sent from proxy_on_request_headers by a plugin that exports no response
// callbacks (the SDK leaves out callbacks a plugin does not override): the reply, its details
// and the stream's end are as with a plugin that has them, through both engines.
#include <gtest/gtest.h>

#include <string>

#include "meshwasm/host/engines.h"
#include "meshwasm/host/plugin.h"
#include "wasm2c_test_util.h"

namespace meshwasm::host {
namespace {

// BODY_LEN is replaced: 3 ("no\n") or 0 (no body); DELETE_END: "" or "unreachable".
constexpr const char* kReplyOnly = R"((module
  (import "env" "proxy_send_local_response"
    (func $reply (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "denied by test")
  (data (i32.const 96) "no\n")
  (data (i32.const 128) "on_delete")
  (global $heap (mut i32) (i32.const 4096))
  (func (export "malloc") (param $n i32) (result i32)
    (local $at i32)
    global.get $heap local.set $at
    global.get $heap local.get $n i32.add global.set $heap
    local.get $at)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (drop (call $reply (i32.const 403) (i32.const 64) (i32.const 14) (i32.const 96)
      (i32.const BODY_LEN) (i32.const 0) (i32.const 0) (i32.const -1)))
    i32.const 1)
  (func (export "proxy_on_delete") (param i32)
    (drop (call $log (i32.const 2) (i32.const 128) (i32.const 9))) DELETE_END)
))";

class Logs : public Embedder {
 public:
  void log(const LogRecord& r) override { lines.push_back(std::string(r.message)); }
  std::vector<std::string> lines;
};

class ReplyWithoutResponseCallbacks : public ::testing::TestWithParam<std::string> {
 protected:
  std::shared_ptr<PluginVm> start(std::string_view body_len, std::string_view delete_end = "") {
    std::string text = kReplyOnly;
    text.replace(text.find("BODY_LEN"), 8, body_len);
    text.replace(text.find("DELETE_END"), 10, delete_end);
    auto engine = makeEngine(GetParam());
    EXPECT_TRUE(engine.isOk()) << engine.message();
    if (!engine) return nullptr;
    PluginConfig c;
    c.name = "reply_only";
    auto plugin = Plugin::load(std::move(*engine), testing::wat(text), c);
    EXPECT_TRUE(plugin.isOk()) << plugin.message();
    if (!plugin) return nullptr;
    auto vm = PluginVm::create(*plugin, shared_, &logs_);
    EXPECT_TRUE(vm.isOk()) << vm.message();
    return vm ? *vm : nullptr;
  }

  std::shared_ptr<SharedState> shared_ = std::make_shared<SharedState>();
  Logs logs_;
};

TEST_P(ReplyWithoutResponseCallbacks, ReplyWithABodyGoesOutAsBuilt) {
  auto vm = start("3");
  ASSERT_NE(vm, nullptr);
  for (int i = 0; i < 3; ++i) {  // the second and third use the remembered reply headers
    auto s = vm->newStream();
    Headers req = {{":method", "GET"}, {":path", "/"}, {":authority", "h"}};
    ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply) << i;
    const LocalReply* r = s->localReply();
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->status, 403u);
    EXPECT_EQ(r->body, "no\n");
    EXPECT_EQ(
        r->headers,
        (Headers{{":status", "403"}, {"content-length", "3"}, {"content-type", "text/plain"}}));
    EXPECT_EQ(r->details, "denied_by_test");
    EXPECT_EQ(s->responseCodeDetails(), "denied_by_test");
    EXPECT_FALSE(s->vmFailed());
    s->onComplete();
    EXPECT_EQ(logs_.lines, std::vector<std::string>{"on_delete"});
    logs_.lines.clear();
  }
}

TEST_P(ReplyWithoutResponseCallbacks, ReplyWithoutABodyGoesOutAsBuilt) {
  auto vm = start("0");
  ASSERT_NE(vm, nullptr);
  auto s = vm->newStream();
  Headers req = {{":method", "GET"}, {":path", "/"}, {":authority", "h"}};
  ASSERT_EQ(s->onRequestHeaders(req, false), FilterAction::LocalReply);
  const LocalReply* r = s->localReply();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 403u);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->headers, (Headers{{":status", "403"}}));
  EXPECT_EQ(s->responseCodeDetails(), "denied_by_test");
  EXPECT_FALSE(s->vmFailed());
  s->onComplete();
  EXPECT_EQ(logs_.lines, std::vector<std::string>{"on_delete"});
}

// proxy_on_delete is the only end-of-stream callback exported (no proxy_on_log, no
// proxy_on_done): a trap there fails the stream's VM, and the next stream fails closed.
TEST_P(ReplyWithoutResponseCallbacks, TrapInTheOnlyExportedEndCallbackFailsTheVm) {
  auto vm = start("3", "unreachable");
  ASSERT_NE(vm, nullptr);
  auto s = vm->newStream();
  Headers req = {{":method", "GET"}, {":path", "/"}, {":authority", "h"}};
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  EXPECT_FALSE(s->vmFailed());
  s->onComplete();
  EXPECT_TRUE(s->vmFailed());
  EXPECT_EQ(logs_.lines.front(), "on_delete");
  auto next = vm->newStream();
  Headers req2 = {{":method", "GET"}, {":path", "/"}, {":authority", "h"}};
  ASSERT_EQ(next->onRequestHeaders(req2, true), FilterAction::LocalReply);
  ASSERT_NE(next->localReply(), nullptr);
  EXPECT_EQ(next->localReply()->status, 503u);
  EXPECT_EQ(next->responseCodeDetails(), "wasm_fail_stream");
}

INSTANTIATE_TEST_SUITE_P(Engines, ReplyWithoutResponseCallbacks,
                         ::testing::Values("interp", "aot"));

}  // namespace
}  // namespace meshwasm::host
