// Context ids: handed out from 1 upwards and, once the 32-bit counter wraps, never 0 and never
// the id of a live context (reference 11, item 16).
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>

#include "fake_vm.h"
#include "http_stream_impl.h"
#include "meshwasm/host/plugin.h"
#include "wasm_instance.h"

namespace meshwasm::host {
namespace {

class ContextIds : public ::testing::Test {
 protected:
  void SetUp() override {
    PluginConfig c;
    c.name = "ids";
    plugin_ = Plugin::forTesting(c, AbiVersion::V0_2_1);
    instance_ = std::make_shared<WasmInstance>(plugin_, &shared_, &embedder_, nullptr);
    instance_->attach(std::make_unique<testing::FakeVm>());
    ASSERT_TRUE(instance_->start().isOk());
    ASSERT_NE(instance_->rootContext(), nullptr);
    ASSERT_EQ(instance_->rootContext()->id, 1u);
  }

  uint32_t newStream(StreamState& state) { return instance_->createStreamContext(&state)->id; }

  SharedState shared_;
  Embedder embedder_;
  std::shared_ptr<const Plugin> plugin_;
  std::shared_ptr<WasmInstance> instance_;
};

TEST_F(ContextIds, StreamContextsCountUpFromTheRootsId) {
  StreamState a, b;
  EXPECT_EQ(newStream(a), 2u);
  EXPECT_EQ(newStream(b), 3u);
  instance_->removeContext(2);
  StreamState c;
  EXPECT_EQ(newStream(c), 4u) << "below the wrap, ids are not reused";
}

TEST_F(ContextIds, WrappedCounterSkipsZeroAndTheLiveRootContext) {
  instance_->setNextContextIdForTesting(UINT32_MAX - 1);
  StreamState a, b, c;
  EXPECT_EQ(newStream(a), UINT32_MAX - 1);
  EXPECT_EQ(newStream(b), UINT32_MAX);
  EXPECT_EQ(newStream(c), 2u) << "0 means no parent, 1 is the live root context";
  Context* root = instance_->findContext(1);
  ASSERT_EQ(root, instance_->rootContext());
  EXPECT_EQ(root->root_id, 0u);
  EXPECT_EQ(root->stream, nullptr);
  EXPECT_EQ(instance_->findContext(0), nullptr);
  EXPECT_EQ(instance_->findContext(UINT32_MAX - 1)->stream, &a);
  EXPECT_EQ(instance_->findContext(UINT32_MAX)->stream, &b);
  EXPECT_EQ(instance_->findContext(2)->stream, &c);
  EXPECT_EQ(instance_->findContext(2)->root_id, 1u);
}

TEST_F(ContextIds, WrappedCounterSkipsLiveStreamContextsAndReusesEndedOnes) {
  StreamState early;
  ASSERT_EQ(newStream(early), 2u);  // still alive when the counter comes round again
  instance_->setNextContextIdForTesting(UINT32_MAX);
  StreamState a, b, c;
  EXPECT_EQ(newStream(a), UINT32_MAX);
  EXPECT_EQ(newStream(b), 3u) << "0, the root (1) and the live stream (2) skipped";
  instance_->removeContext(2);
  EXPECT_EQ(newStream(c), 4u);

  // Once more round: ended ids come back, live ones are still skipped.
  instance_->setNextContextIdForTesting(UINT32_MAX);
  instance_->removeContext(UINT32_MAX);
  StreamState d, e;
  EXPECT_EQ(newStream(d), UINT32_MAX) << "that context ended";
  EXPECT_EQ(newStream(e), 2u) << "the early stream ended too";
  StreamState f;
  EXPECT_EQ(newStream(f), 5u) << "3 and 4 are alive";
  EXPECT_EQ(instance_->findContext(3)->stream, &b);
  EXPECT_EQ(instance_->findContext(4)->stream, &c);
  EXPECT_EQ(instance_->findContext(5)->stream, &f);
}

TEST_F(ContextIds, StreamsAfterTheWrapKeepTheirOwnContexts) {
  instance_->setNextContextIdForTesting(UINT32_MAX);
  Headers first_headers = {{":path", "/a"}};
  Headers second_headers = {{":path", "/b"}};
  HttpStreamImpl first(instance_, nullptr, FailStrategy::FailClose);
  HttpStreamImpl second(instance_, nullptr, FailStrategy::FailClose);
  EXPECT_EQ(first.onRequestHeaders(first_headers, true), FilterAction::Continue);
  EXPECT_EQ(second.onRequestHeaders(second_headers, true), FilterAction::Continue);
  EXPECT_EQ(first.contextId(), UINT32_MAX);
  EXPECT_EQ(second.contextId(), 2u);
  EXPECT_EQ(instance_->findContext(1), instance_->rootContext());
  first.onComplete();
  EXPECT_EQ(instance_->findContext(UINT32_MAX), nullptr);
  ASSERT_NE(instance_->findContext(2), nullptr) << "ending one stream leaves the other's context";
  second.onComplete();
  EXPECT_EQ(instance_->findContext(2), nullptr);
  EXPECT_EQ(instance_->findContext(1), instance_->rootContext());
}

}  // namespace
}  // namespace meshwasm::host
