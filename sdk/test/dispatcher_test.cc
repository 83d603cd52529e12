// The dispatcher through the FakeHost: every callback reaches the right virtual method of the
// right context, defaults answer Continue / true, registration by root_id, context lifetime.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "meshwasm/sdk/sdk.h"
#include "meshwasm/sdk/testing/fake_host.h"

// The module's exports, called directly for contexts the FakeHost does not know.
extern "C" {
uint32_t proxy_on_request_headers(uint32_t, uint32_t, uint32_t);
uint32_t proxy_on_request_body(uint32_t, uint32_t, uint32_t);
uint32_t proxy_on_vm_start(uint32_t, uint32_t);
uint32_t proxy_on_configure(uint32_t, uint32_t);
uint32_t proxy_on_done(uint32_t);
void proxy_on_delete(uint32_t);
void proxy_on_tick(uint32_t);
}

namespace meshwasm::sdk {
namespace {

using testing::FakeHost;

// Every callback appends "<context id>:<name>(<args>)" here.
std::vector<std::string>& events() {
  static std::vector<std::string> list;
  return list;
}
void record(uint32_t id, const std::string& what) {
  events().push_back(toDecimal(id) + ":" + what);
}

class RecordingRoot : public RootContext {
 public:
  RecordingRoot(uint32_t id, std::string_view root_id) : RootContext(id, root_id) {}
  void onCreate() override { record(id(), "create(" + std::string(rootId()) + ")"); }
  bool onVmStart(size_t size) override {
    record(id(),
           "vm_start(" + toDecimal(uint64_t{size}) + "," + getVmConfiguration().toString() + ")");
    return true;
  }
  bool onConfigure(size_t size) override {
    const std::string config = getPluginConfiguration().toString();
    record(id(), "configure(" + toDecimal(uint64_t{size}) + "," + config + ")");
    return config != "reject";
  }
  bool onValidateConfiguration(size_t size) override {
    record(id(), "validate(" + toDecimal(uint64_t{size}) + ")");
    return false;
  }
  void onTick() override { record(id(), "tick"); }
  void onQueueReady(uint32_t token) override {
    record(id(), "queue_ready(" + toDecimal(token) + ")");
  }
  void onForeignFunction(uint32_t function_id, size_t size) override {
    record(id(), "foreign(" + toDecimal(function_id) + "," + toDecimal(uint64_t{size}) + "," +
                     getCallData().toString() + ")");
  }
  bool onDone() override {
    record(id(), "done");
    return !delay_done;
  }
  void onLog() override { record(id(), "log"); }
  void onDelete() override { record(id(), "delete"); }
  bool delay_done = false;
};

class RecordingHttp : public HttpContext {
 public:
  RecordingHttp(uint32_t id, RootContext* root) : HttpContext(id, root) {}
  void onCreate() override { record(id(), "create_http(root " + toDecimal(root()->id()) + ")"); }
  FilterHeadersStatus onRequestHeaders(uint32_t n, bool eos) override {
    record(id(), "request_headers(" + toDecimal(n) + "," + (eos ? "1" : "0") + ")");
    return FilterHeadersStatus::StopIteration;
  }
  FilterDataStatus onRequestBody(size_t size, bool eos) override {
    record(id(), "request_body(" + toDecimal(uint64_t{size}) + "," + (eos ? "1" : "0") + ")");
    return FilterDataStatus::StopIterationAndBuffer;
  }
  FilterTrailersStatus onRequestTrailers(uint32_t n) override {
    record(id(), "request_trailers(" + toDecimal(n) + ")");
    return FilterTrailersStatus::StopIteration;
  }
  FilterMetadataStatus onRequestMetadata(uint32_t n) override {
    record(id(), "request_metadata(" + toDecimal(n) + ")");
    return FilterMetadataStatus::Continue;
  }
  FilterHeadersStatus onResponseHeaders(uint32_t n, bool eos) override {
    record(id(), "response_headers(" + toDecimal(n) + "," + (eos ? "1" : "0") + ")");
    return FilterHeadersStatus::StopAllIterationAndBuffer;
  }
  FilterDataStatus onResponseBody(size_t size, bool eos) override {
    record(id(), "response_body(" + toDecimal(uint64_t{size}) + "," + (eos ? "1" : "0") + ")");
    return FilterDataStatus::StopIterationNoBuffer;
  }
  FilterTrailersStatus onResponseTrailers(uint32_t n) override {
    record(id(), "response_trailers(" + toDecimal(n) + ")");
    return FilterTrailersStatus::Continue;
  }
  FilterMetadataStatus onResponseMetadata(uint32_t n) override {
    record(id(), "response_metadata(" + toDecimal(n) + ")");
    return FilterMetadataStatus::Continue;
  }
  void onLog() override { record(id(), "log"); }
  bool onDone() override {
    record(id(), "done");
    return true;
  }
  void onDelete() override { record(id(), "delete"); }
};

class RecordingStream : public StreamContext {
 public:
  RecordingStream(uint32_t id, RootContext* root) : StreamContext(id, root) {}
  FilterStatus onNewConnection() override {
    record(id(), "new_connection");
    return FilterStatus::Continue;
  }
  FilterStatus onDownstreamData(size_t size, bool eos) override {
    record(id(), "downstream_data(" + getDownstreamData().toString() + "," +
                     toDecimal(uint64_t{size}) + "," + (eos ? "1" : "0") + ")");
    return FilterStatus::StopIteration;
  }
  FilterStatus onUpstreamData(size_t size, bool eos) override {
    record(id(), "upstream_data(" + toDecimal(uint64_t{size}) + "," + (eos ? "1" : "0") + ")");
    return FilterStatus::Continue;
  }
  void onDownstreamConnectionClose(PeerType peer) override {
    record(id(), "downstream_close(" + toDecimal(static_cast<uint32_t>(peer)) + ")");
  }
  void onUpstreamConnectionClose(PeerType peer) override {
    record(id(), "upstream_close(" + toDecimal(static_cast<uint32_t>(peer)) + ")");
  }
};

class DelayedRoot : public RecordingRoot {
 public:
  DelayedRoot(uint32_t id, std::string_view root_id) : RecordingRoot(id, root_id) {
    delay_done = true;
  }
  void onCreate() override {}
  void onTick() override {
    RecordingRoot::onTick();
    EXPECT_EQ(done(), WasmResult::Ok);
  }
};

// Plain defaults: nothing overridden.
class DefaultHttp : public HttpContext {
 public:
  using HttpContext::HttpContext;
};

// Overrides two callbacks in a base class of the registered one, and hides onLog with an
// overload of another signature (the SDK must keep calling the virtual onLog then).
class MiddleHttp : public HttpContext {
 public:
  using HttpContext::HttpContext;
  FilterHeadersStatus onResponseHeaders(uint32_t n, bool) override {
    record(id(), "middle_response_headers(" + toDecimal(n) + ")");
    return FilterHeadersStatus::StopIteration;
  }
  void onDelete() override { record(id(), "middle_delete"); }
};
class LeafHttp : public MiddleHttp {
 public:
  using MiddleHttp::MiddleHttp;
  void onLog(int) {}
};

MESHWASM_REGISTER_HTTP_PLUGIN(RecordingRoot, RecordingHttp, "recording");
MESHWASM_REGISTER_HTTP_PLUGIN(RootContext, LeafHttp, "leaf");

// A factory of its own (not the SDK's template): the SDK cannot know the class, so every
// callback is called (and, in wasm, every callback exported).
std::unique_ptr<HttpContext> makeCustomHttp(uint32_t id, RootContext* root) {
  return std::make_unique<MiddleHttp>(id, root);
}
RegisterContextFactory custom_registration(makeRootContext<RootContext>, makeCustomHttp, "custom");
MESHWASM_REGISTER_STREAM_PLUGIN(RecordingRoot, RecordingStream, "tcp");
MESHWASM_REGISTER_HTTP_PLUGIN(RootContext, DefaultHttp, "defaults");
MESHWASM_REGISTER_HTTP_PLUGIN(DelayedRoot, DefaultHttp, "delayed");

constexpr uint16_t kAllHttpCallbacks = 0x0fff;

TEST(InheritedCallbacks, ClassOverridingNothingLeavesEveryCallbackToTheDefaults) {
  static_assert(detail::inheritedCallbacks<DefaultHttp>() == kAllHttpCallbacks);
  static_assert(detail::inheritedCallbacks<HttpContext>() == kAllHttpCallbacks);
  static_assert(detail::inheritedCallbacks<RootContext>() ==
                (inherits::kOnCreate | inherits::kOnDone | inherits::kOnLog | inherits::kOnDelete));
}

TEST(InheritedCallbacks, OverridesAreSeenInTheClassAndInItsBases) {
  static_assert(detail::inheritedCallbacks<RecordingHttp>() == 0);
  static_assert(detail::inheritedCallbacks<RecordingRoot>() == 0);
  // DelayedRoot overrides onCreate itself and the rest through RecordingRoot.
  static_assert(detail::inheritedCallbacks<DelayedRoot>() == 0);
  static_assert(detail::inheritedCallbacks<MiddleHttp>() ==
                (kAllHttpCallbacks & ~(inherits::kOnResponseHeaders | inherits::kOnDelete)));
}

TEST(InheritedCallbacks, ANameHiddenByAnOverloadCountsAsOverridden) {
  static_assert(detail::inheritedCallbacks<LeafHttp>() ==
                (kAllHttpCallbacks &
                 ~(inherits::kOnResponseHeaders | inherits::kOnDelete | inherits::kOnLog)));
}

TEST(InheritedCallbacks, FactoriesRecordTheBitsInTheContext) {
  RootContext root(1, "");
  const std::unique_ptr<HttpContext> leaf = makeHttpContext<LeafHttp>(2, &root);
  EXPECT_TRUE(leaf->inherits(inherits::kOnRequestHeaders | inherits::kOnResponseBody));
  EXPECT_FALSE(leaf->inherits(inherits::kOnResponseHeaders));
  EXPECT_FALSE(leaf->inherits(inherits::kOnRequestHeaders | inherits::kOnDelete));
  // A context made without the SDK's factories keeps calling every callback.
  const DefaultHttp plain(3, &root);
  EXPECT_FALSE(plain.inherits(inherits::kOnRequestHeaders));
}

class Dispatcher : public ::testing::Test {
 protected:
  void SetUp() override { events().clear(); }
  FakeHost host;
};

TEST_F(Dispatcher, StartsAPluginThroughCreateVmStartAndConfigure) {
  host.setVmConfiguration("vm-config");
  const uint32_t root = host.startPlugin("plugin-config", "recording");
  ASSERT_EQ(root, 1u);
  EXPECT_EQ(events(), (std::vector<std::string>{"1:create(recording)", "1:vm_start(9,vm-config)",
                                                "1:configure(13,plugin-config)"}));
}

TEST_F(Dispatcher, ConfigureAnsweringFalseFailsTheStart) {
  EXPECT_EQ(host.startPlugin("reject", "recording"), 0u);
}

TEST_F(Dispatcher, ValidateConfigurationReachesTheRootContext) {
  const uint32_t root = host.startPlugin("", "recording");
  EXPECT_FALSE(host.validateConfiguration(root, "abc"));
  EXPECT_EQ(events().back(), "1:validate(3)");
}

TEST_F(Dispatcher, RoutesEveryHttpCallbackToTheHttpContext) {
  const uint32_t root = host.startPlugin("", "recording");
  const uint32_t http = host.createHttpContext(root);
  events().clear();
  EXPECT_EQ(host.requestHeaders(http, {{":path", "/"}, {"a", "b"}}, false),
            FilterHeadersStatus::StopIteration);
  EXPECT_EQ(host.requestBody(http, "abc", false), FilterDataStatus::StopIterationAndBuffer);
  EXPECT_EQ(host.requestBody(http, "de", true), FilterDataStatus::StopIterationAndBuffer);
  EXPECT_EQ(host.requestTrailers(http, {{"t", "1"}}), FilterTrailersStatus::StopIteration);
  EXPECT_EQ(host.requestMetadata(http, 3), 0u);
  EXPECT_EQ(host.responseHeaders(http, {{":status", "200"}}, true),
            FilterHeadersStatus::StopAllIterationAndBuffer);
  EXPECT_EQ(host.responseBody(http, "xyz", true), FilterDataStatus::StopIterationNoBuffer);
  EXPECT_EQ(host.responseTrailers(http, {}), FilterTrailersStatus::Continue);
  EXPECT_EQ(host.responseMetadata(http, 1), 0u);
  host.completeHttpContext(http);
  EXPECT_EQ(events(), (std::vector<std::string>{"2:request_headers(2,0)", "2:request_body(3,0)",
                                                "2:request_body(5,1)",  // buffered: the size grows
                                                "2:request_trailers(1)", "2:request_metadata(3)",
                                                "2:response_headers(1,1)", "2:response_body(3,1)",
                                                "2:response_trailers(0)", "2:response_metadata(1)",
                                                "2:log", "2:done", "2:delete"}));
  EXPECT_TRUE(host.deleted(http));
}

TEST_F(Dispatcher, CreatesHttpContextsWithTheirRootContext) {
  const uint32_t root = host.startPlugin("", "recording");
  events().clear();
  const uint32_t first = host.createHttpContext(root);
  const uint32_t second = host.createHttpContext(root);
  EXPECT_EQ(events(), (std::vector<std::string>{"2:create_http(root 1)", "3:create_http(root 1)"}));
  EXPECT_NE(first, second);
}

TEST_F(Dispatcher, FindsEveryLiveContextWhenStreamsEndOutOfOrder) {
  const uint32_t root = host.startPlugin("", "recording");
  const uint32_t a = host.createHttpContext(root);
  const uint32_t b = host.createHttpContext(root);
  const uint32_t c = host.createHttpContext(root);
  events().clear();
  host.completeHttpContext(b);  // the middle one first, then the oldest
  host.completeHttpContext(a);
  host.requestBody(c, "x", true);
  const uint32_t d = host.createHttpContext(root);
  host.requestBody(d, "yz", true);
  host.requestBody(c, "w", false);
  host.tick(root);
  EXPECT_EQ(proxy_on_request_body(a, 4, 1), 0u);  // deleted: no context answers
  EXPECT_EQ(events(),
            (std::vector<std::string>{"3:log", "3:done", "3:delete", "2:log", "2:done", "2:delete",
                                      "4:request_body(1,1)", "5:create_http(root 1)",
                                      "5:request_body(2,1)", "4:request_body(2,0)", "1:tick"}));
  host.completeHttpContext(d);
  host.completeHttpContext(c);
  EXPECT_TRUE(host.deleted(c));
  EXPECT_TRUE(host.deleted(d));
}

TEST_F(Dispatcher, KeysRootContextsByContextIdNotByRootId) {
  // A configuration update creates a second root context with the same root_id.
  const uint32_t old_root = host.startPlugin("one", "recording");
  const uint32_t new_root = host.startPlugin("two", "recording");
  events().clear();
  host.tick(old_root);
  host.tick(new_root);
  const uint32_t http = host.createHttpContext(new_root);
  EXPECT_EQ(events(), (std::vector<std::string>{"1:tick", "2:tick", "3:create_http(root 2)"}));
  (void)http;
}

TEST_F(Dispatcher, RoutesRootCallbacks) {
  const uint32_t root = host.startPlugin("", "recording");
  events().clear();
  host.tick(root);
  host.foreignFunction(root, 7, "args");
  EXPECT_EQ(events(), (std::vector<std::string>{"1:tick", "1:foreign(7,4,args)"}));
}

TEST_F(Dispatcher, RoutesTcpCallbacksToTheStreamContext) {
  const uint32_t root = host.startPlugin("", "tcp");
  const uint32_t connection = host.createStreamContext(root);
  events().clear();
  EXPECT_EQ(host.newConnection(connection), FilterStatus::Continue);
  EXPECT_EQ(host.downstreamData(connection, "ping", false), FilterStatus::StopIteration);
  EXPECT_EQ(host.upstreamData(connection, "pong!", true), FilterStatus::Continue);
  host.upstreamConnectionClose(connection, PeerType::Unknown);
  host.downstreamConnectionClose(connection, PeerType::Remote);
  EXPECT_EQ(events(), (std::vector<std::string>{"2:new_connection", "2:downstream_data(ping,4,0)",
                                                "2:upstream_data(5,1)", "2:upstream_close(0)",
                                                "2:downstream_close(2)"}));
}

TEST_F(Dispatcher, DefaultsAnswerContinueAndTrue) {
  const uint32_t root = host.startPlugin("", "defaults");
  ASSERT_NE(root, 0u);
  const uint32_t http = host.createHttpContext(root);
  EXPECT_EQ(host.requestHeaders(http, {{"a", "b"}}), FilterHeadersStatus::Continue);
  EXPECT_EQ(host.requestBody(http, "x", true), FilterDataStatus::Continue);
  EXPECT_EQ(host.requestTrailers(http, {}), FilterTrailersStatus::Continue);
  EXPECT_EQ(host.responseHeaders(http, {}), FilterHeadersStatus::Continue);
  EXPECT_EQ(host.responseBody(http, "y", true), FilterDataStatus::Continue);
  EXPECT_EQ(host.responseTrailers(http, {}), FilterTrailersStatus::Continue);
  EXPECT_TRUE(host.doneContext(http));
  EXPECT_TRUE(host.doneContext(root));
  EXPECT_TRUE(host.logs().empty());
}

TEST_F(Dispatcher, CallsCallbacksOverriddenInABaseClassAndAnswersTheRestWithDefaults) {
  const uint32_t root = host.startPlugin("", "leaf");
  ASSERT_NE(root, 0u);
  const uint32_t http = host.createHttpContext(root);
  EXPECT_EQ(host.requestHeaders(http, {{"a", "b"}}), FilterHeadersStatus::Continue);
  EXPECT_EQ(host.responseHeaders(http, {{":status", "200"}, {"c", "d"}}),
            FilterHeadersStatus::StopIteration);
  EXPECT_EQ(host.responseBody(http, "y", true), FilterDataStatus::Continue);
  host.completeHttpContext(http);
  EXPECT_TRUE(host.deleted(http));
  EXPECT_EQ(events(),
            (std::vector<std::string>{"2:middle_response_headers(2)", "2:middle_delete"}));
}

TEST_F(Dispatcher, ContextsOfCustomFactoriesGetEveryCallback) {
  const uint32_t root = host.startPlugin("", "custom");
  ASSERT_NE(root, 0u);
  const uint32_t http = host.createHttpContext(root);
  EXPECT_FALSE(
      makeCustomHttp(99, nullptr)->inherits(inherits::kOnRequestHeaders | inherits::kOnLog));
  EXPECT_EQ(host.requestHeaders(http, {{"a", "b"}}), FilterHeadersStatus::Continue);
  EXPECT_EQ(host.responseHeaders(http, {{":status", "200"}}), FilterHeadersStatus::StopIteration);
  host.completeHttpContext(http);
  EXPECT_EQ(events(),
            (std::vector<std::string>{"2:middle_response_headers(1)", "2:middle_delete"}));
}

TEST_F(Dispatcher, UnregisteredRootIdGetsAPlainRootContextWithoutStreams) {
  const uint32_t root = host.startPlugin("", "nobody-registered-this");
  ASSERT_NE(root, 0u);
  const uint32_t http = host.createHttpContext(root);
  EXPECT_EQ(host.requestHeaders(http, {{"a", "b"}}), FilterHeadersStatus::Continue);
  EXPECT_TRUE(events().empty());
}

TEST_F(Dispatcher, CallbacksForUnknownContextsAnswerDefaults) {
  EXPECT_EQ(proxy_on_request_headers(99, 1, 1), 0u);
  EXPECT_EQ(proxy_on_request_body(99, 1, 1), 0u);
  EXPECT_EQ(proxy_on_vm_start(99, 0), 1u);
  EXPECT_EQ(proxy_on_configure(99, 0), 1u);
  EXPECT_EQ(proxy_on_done(99), 1u);
  proxy_on_delete(99);
  proxy_on_tick(99);
  EXPECT_TRUE(events().empty());
}

TEST_F(Dispatcher, RootContextMayFinishLaterWithDone) {
  const uint32_t root = host.startPlugin("", "delayed");
  events().clear();
  EXPECT_FALSE(host.doneContext(root));
  EXPECT_TRUE(host.pendingDone(root));
  host.tick(root);  // the root context calls done() from its tick
  EXPECT_TRUE(host.deleted(root));
  EXPECT_EQ(events(), (std::vector<std::string>{"1:done", "1:tick", "1:delete"}));
}

}  // namespace
}  // namespace meshwasm::sdk
