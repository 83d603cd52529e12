// Lifecycle and call order through a real engine with the scripted guest (guests/lifecycle.c):
// start sequence, Envoy's HTTP callback order, local replies, pauses, callouts, timers,
// queues, deferred root shutdown and the fail strategies.
#include <gtest/gtest.h>

#include <deque>

#include "meshwasm/host/engines.h"
#include "meshwasm/host/plugin.h"
#include "test_guest.h"

namespace meshwasm::host {
namespace {

class Recorder : public Embedder {
 public:
  void log(const LogRecord& r) override { logs.push_back(std::string(r.message)); }
  void setTickPeriod(PluginVm&, std::chrono::milliseconds p) override { tick = p; }
  abi::WasmResult httpCall(PluginVm&, const HttpCallRequest& r) override {
    calls.push_back(std::string(r.cluster) + " token " + std::to_string(r.token));
    return abi::WasmResult::Ok;
  }
  bool post(std::function<void()> task) override {
    tasks.push_back(std::move(task));
    return true;
  }
  void runTasks() {
    while (!tasks.empty()) {
      auto t = std::move(tasks.front());
      tasks.pop_front();
      t();
    }
  }
  std::vector<std::string> take() { return std::exchange(logs, {}); }

  std::vector<std::string> logs;
  std::vector<std::string> calls;
  std::deque<std::function<void()>> tasks;
  std::chrono::milliseconds tick{-1};
};

class StreamRecorder : public StreamCallbacks {
 public:
  void continueRequest() override { events.push_back("continueRequest"); }
  void sendLocalReply() override { events.push_back("sendLocalReply"); }
  void resetStream() override { events.push_back("resetStream"); }
  std::vector<std::string> events;
};

class Lifecycle : public ::testing::TestWithParam<std::string> {
 protected:
  StatusOr<std::shared_ptr<PluginVm>> start(std::string configuration,
                                            FailStrategy strategy = FailStrategy::FailClose,
                                            std::string guest = "lifecycle") {
    auto engine = makeEngine(GetParam());
    EXPECT_TRUE(engine.isOk()) << engine.message();
    PluginConfig c;
    c.name = "lc";
    c.configuration = std::move(configuration);
    c.vm_configuration = "vm";
    c.fail_strategy = strategy;
    c.reload_backoff = std::chrono::milliseconds(0);
    auto plugin = Plugin::load(std::move(*engine), readTestGuest(guest), c);
    if (!plugin) return plugin.status();
    return PluginVm::create(*plugin, shared_, &embedder_);
  }
  std::shared_ptr<PluginVm> mustStart(std::string configuration = "",
                                      FailStrategy strategy = FailStrategy::FailClose) {
    auto vm = start(std::move(configuration), strategy);
    EXPECT_TRUE(vm.isOk()) << vm.message();
    embedder_.take();
    return vm ? *vm : nullptr;
  }
  static Headers request(std::string script, std::string content_type = "") {
    Headers h = {{":method", "GET"}, {":path", "/p"}, {":authority", "h"}};
    if (!script.empty()) h.emplace_back("x-test", std::move(script));
    if (!content_type.empty()) h.emplace_back("content-type", std::move(content_type));
    return h;
  }

  // Header maps must outlive the streams using them (proxy_on_log reads them): the fixture
  // keeps them until the end of the test, after the streams are gone.
  Headers& keep(Headers h) { return headers_.emplace_back(std::move(h)); }

  std::deque<Headers> headers_;
  std::shared_ptr<SharedState> shared_ = std::make_shared<SharedState>();
  Recorder embedder_;
};

TEST_P(Lifecycle, StartRunsContextCreateVmStartConfigureOnRootContextOne) {
  auto vm = start("hello");
  ASSERT_TRUE(vm.isOk()) << vm.message();
  EXPECT_EQ(embedder_.take(), (std::vector<std::string>{"on_context_create 1 0", "on_vm_start 1 2",
                                                        "on_configure 1 5"}));
}

TEST_P(Lifecycle, ConfigureReturningFalseRefusesThePlugin) {
  auto vm = start("configure=false");
  ASSERT_FALSE(vm.isOk());
  EXPECT_EQ(vm.message(), "Plugin 'lc' failed to configure: proxy_on_configure returned false");
}

TEST_P(Lifecycle, VmStartReturningFalseRefusesThePlugin) {
  auto vm = start("vm_start=false");
  ASSERT_FALSE(vm.isOk());
  EXPECT_EQ(vm.message(), "Plugin 'lc' failed to start: proxy_on_vm_start returned false");
}

TEST_P(Lifecycle, TrapInConfigureRefusesThePluginAndLogsTheFunction) {
  auto vm = start("trap=on_configure");
  ASSERT_FALSE(vm.isOk());
  EXPECT_TRUE(vm.message().starts_with(
      "Plugin 'lc' failed to configure: Function: proxy_on_configure failed: "))
      << vm.message();
  auto logs = embedder_.take();
  EXPECT_TRUE(logs.back().starts_with("Function: proxy_on_configure failed: ")) << logs.back();
}

TEST_P(Lifecycle, TrapInRootContextCreateRefusesThePlugin) {
  auto vm = start("trap=on_context_create");
  ASSERT_FALSE(vm.isOk());
  EXPECT_TRUE(vm.message().find("Function: proxy_on_context_create failed") != std::string::npos)
      << vm.message();
}

TEST_P(Lifecycle, HostCallsOutsideTheStartAllowListTrap) {
  auto vm = start("", FailStrategy::FailClose, "restricted_start");
  ASSERT_FALSE(vm.isOk());
  EXPECT_EQ(vm.message(),
            "Plugin 'lc' failed to start: Function: _initialize failed: restricted_callback");
  EXPECT_EQ(embedder_.logs.front(), "constructor") << "proxy_log is allowed during start";
}

TEST_P(Lifecycle, GetRequestFollowsEnvoysCallbackOrderWithLogBeforeDone) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request(""));
  EXPECT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  Headers& resp = keep({{":status", "200"}});
  std::string body = "hello";
  EXPECT_EQ(s->onResponseHeaders(resp, false), FilterAction::Continue);
  EXPECT_EQ(s->onResponseBody(body, true), FilterAction::Continue);
  s->onComplete();
  s->onComplete();  // idempotent
  EXPECT_EQ(embedder_.take(),
            (std::vector<std::string>{"on_context_create 2 1", "on_request_headers 2 3 1",
                                      "on_response_headers 2 1 0 status=200 req=2",
                                      "on_response_body 2 5 1", "on_log 2 get=0 add=2", "on_done 2",
                                      "on_delete 2"}))
      << "request headers are BadArgument in response callbacks, read-only in proxy_on_log";
  EXPECT_EQ(s->contextId(), 2u);
}

TEST_P(Lifecycle, LocalReplyFromRequestHeadersRunsThroughTheResponseCallbacks) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=local;sh=addheader"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  const LocalReply* r = s->localReply();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, 403u);
  EXPECT_EQ(r->body, "no\n");
  EXPECT_EQ(r->headers, (Headers{{":status", "403"},
                                 {"x-test-reply", "1"},
                                 {"content-length", "3"},
                                 {"content-type", "text/plain"},
                                 {"x-added", "yes"}}));
  EXPECT_EQ(r->details, "denied_by_test");
  EXPECT_EQ(s->responseCodeDetails(), "denied_by_test");
  s->onComplete();
  auto logs = embedder_.take();
  EXPECT_EQ(std::vector<std::string>(logs.begin() + 2, logs.end()),
            (std::vector<std::string>{"on_response_headers 2 4 0 status=403 req=2",
                                      "on_response_body 2 3 1", "on_log 2 get=0 add=2", "on_done 2",
                                      "on_delete 2"}));
}

TEST_P(Lifecycle, TakenLocalReplyIsMovedOutAndTheLogReadsTheMapItWentOutAs) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=local;log=sentheaders"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  LocalReply taken = s->takeLocalReply();
  EXPECT_EQ(taken.status, 403u);
  EXPECT_EQ(taken.body, "no\n");
  EXPECT_EQ(taken.details, "denied_by_test");
  EXPECT_EQ(taken.headers, (Headers{{":status", "403"},
                                    {"x-test-reply", "1"},
                                    {"content-length", "3"},
                                    {"content-type", "text/plain"}}));
  ASSERT_NE(s->localReply(), nullptr) << "the stream still answered with a local reply";
  EXPECT_EQ(s->localReply()->status, 403u);
  EXPECT_TRUE(s->localReply()->headers.empty());
  EXPECT_TRUE(s->localReply()->body.empty());
  EXPECT_EQ(s->responseCodeDetails(), "denied_by_test");
  Headers& sent = keep(std::move(taken.headers));
  sent.emplace_back("server", "meshwasm");
  sent.emplace_back("date", "Sun, 29 Nov 2026 08:00:00 GMT");
  s->setSentResponseHeaders(sent);
  s->onComplete();
  auto sentLine = [](const std::vector<std::string>& logs) {
    for (const auto& line : logs) {
      if (line.starts_with("sent headers")) return line;
    }
    return std::string("no sent headers line");
  };
  EXPECT_EQ(sentLine(embedder_.take()), "sent headers server=0 date=0");

  auto unsent = vm->newStream();
  Headers& req2 = keep(request("rh=local;log=sentheaders"));
  ASSERT_EQ(unsent->onRequestHeaders(req2, true), FilterAction::LocalReply);
  EXPECT_EQ(unsent->takeLocalReply().status, 403u);
  unsent->onComplete();
  EXPECT_EQ(sentLine(embedder_.take()), "sent headers server=1 date=1")
      << "a reply handed over and never named as sent: no response headers (NotFound)";
}

TEST_P(Lifecycle, RequestHeadersAreNotReadableInTheStreamsContextCreate) {
  auto vm = mustStart("probe_context_create");
  auto s = vm->newStream();
  Headers& req = keep(request(""));
  EXPECT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  EXPECT_EQ(embedder_.take(),
            (std::vector<std::string>{"on_context_create 2 1", "stream context create get=2",
                                      "on_request_headers 2 3 1"}))
      << "BadArgument: the request headers open only for proxy_on_request_headers";
}

TEST_P(Lifecycle, TrapInStreamContextCreateFailsTheStreamWithoutItsHeaderCallback) {
  auto vm = mustStart("trap=on_stream_context_create");
  auto s = vm->newStream();
  Headers& req = keep(request(""));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  EXPECT_TRUE(s->vmFailed());
  EXPECT_EQ(s->localReply()->status, 503u);
  EXPECT_EQ(s->responseCodeDetails(), "wasm_fail_stream");
  s->onComplete();
  auto logs = embedder_.take();
  ASSERT_EQ(logs.size(), 2u);
  EXPECT_EQ(logs[0], "on_context_create 2 1");
  EXPECT_TRUE(logs[1].starts_with("Function: proxy_on_context_create failed: ")) << logs[1];
  EXPECT_TRUE(vm->failed());

  auto open = mustStart("trap=on_stream_context_create", FailStrategy::FailOpen);
  auto o = open->newStream();
  Headers& req2 = keep(request(""));
  EXPECT_EQ(o->onRequestHeaders(req2, true), FilterAction::Continue);
  EXPECT_TRUE(o->vmFailed());
  EXPECT_EQ(o->localReply(), nullptr);
}

TEST_P(Lifecycle, LocalReplySentAgainFromItsResponseHeadersSkipsTheBodyCallback) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=local;sh=local"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  ASSERT_NE(s->localReply(), nullptr);
  EXPECT_EQ(s->localReply()->status, 403u);
  EXPECT_EQ(s->localReply()->body, "no\n");
  EXPECT_EQ(s->localReply()->headers, (Headers{{":status", "403"},
                                               {"x-test-reply", "1"},
                                               {"content-length", "3"},
                                               {"content-type", "text/plain"}}));
  EXPECT_FALSE(s->vmFailed());
  s->onComplete();
  auto logs = embedder_.take();
  EXPECT_EQ(std::vector<std::string>(logs.begin() + 2, logs.end()),
            (std::vector<std::string>{"on_response_headers 2 4 0 status=403 req=2",
                                      "on_log 2 get=0 add=2", "on_done 2", "on_delete 2"}))
      << "the second reply goes out as it is, without proxy_on_response_body";
}

TEST_P(Lifecycle, LocalReplySentFromItsOwnBodyCallbackIsIgnored) {
  auto vm = mustStart();
  auto again = vm->newStream();
  Headers& req2 = keep(request("rh=local;sb=local"));
  ASSERT_EQ(again->onRequestHeaders(req2, true), FilterAction::LocalReply);
  EXPECT_EQ(again->localReply()->status, 403u);
  EXPECT_EQ(again->localReply()->body, "no\n");
  EXPECT_FALSE(again->vmFailed());
}

TEST_P(Lifecycle, TrapInALocalReplysResponseCallbacksFailsItClosed) {
  for (const char* script : {"rh=local;sh=trap", "rh=local;sb=trap"}) {
    auto vm = mustStart();
    auto s = vm->newStream();
    Headers& req = keep(request(script));
    ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply) << script;
    EXPECT_TRUE(s->vmFailed()) << script;
    EXPECT_EQ(s->localReply()->status, 503u) << script;
    EXPECT_EQ(s->localReply()->headers, (Headers{{":status", "503"}})) << script;
    EXPECT_EQ(s->responseCodeDetails(), "wasm_fail_stream") << script;
    auto logs = embedder_.take();
    const bool in_headers = std::string_view(script).ends_with("sh=trap");
    EXPECT_TRUE(logs.back().starts_with(in_headers ? "Function: proxy_on_response_headers failed: "
                                                   : "Function: proxy_on_response_body failed: "))
        << logs.back();
    EXPECT_EQ(logs[logs.size() - 2].starts_with("on_response_body"), !in_headers) << script;
  }
}

TEST_P(Lifecycle, TrapInALocalReplysBodyCallbackFailingOpenKeepsTheReply) {
  auto vm = mustStart("", FailStrategy::FailOpen);
  auto s = vm->newStream();
  Headers& req = keep(request("rh=local;sb=trap"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  EXPECT_TRUE(s->vmFailed());
  EXPECT_EQ(s->localReply()->status, 403u);
  EXPECT_EQ(s->localReply()->body, "no\n");
  EXPECT_EQ(s->responseCodeDetails(), "denied_by_test");
}

TEST_P(Lifecycle, LocalReplyFromResponseHeadersGoesOutDirectly) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("sh=local"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  Headers& resp = keep({{":status", "200"}});
  ASSERT_EQ(s->onResponseHeaders(resp, true), FilterAction::LocalReply);
  EXPECT_EQ(s->localReply()->status, 403u);
  auto logs = embedder_.take();
  EXPECT_EQ(logs.size(), 3u) << "no second proxy_on_response_headers";
}

TEST_P(Lifecycle, HeaderPauseIsStopAllIterationAndWatermark) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=pause"));
  EXPECT_EQ(s->onRequestHeaders(req, false), FilterAction::StopAllIterationAndWatermark);
  auto s2 = vm->newStream();
  Headers& req2 = keep(request("rh=resume"));
  EXPECT_EQ(s2->onRequestHeaders(req2, false), FilterAction::Continue)
      << "proxy_continue_stream inside the callback continues after it returns";
}

TEST_P(Lifecycle, BodyCallbacksBufferAndRewrite) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rb=buffer"));
  ASSERT_EQ(s->onRequestHeaders(req, false), FilterAction::Continue);
  std::string body = "abc";
  EXPECT_EQ(s->onRequestBody(body, false), FilterAction::StopIterationAndBuffer);
  auto s2 = vm->newStream();
  Headers& req2 = keep(request("rb=rewrite"));
  ASSERT_EQ(s2->onRequestHeaders(req2, false), FilterAction::Continue);
  std::string body2 = "original";
  EXPECT_EQ(s2->onRequestBody(body2, true), FilterAction::Continue);
  EXPECT_EQ(body2, "rewritten");
}

TEST_P(Lifecycle, CloseStreamResetsWithDetails) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=close"));
  EXPECT_EQ(s->onRequestHeaders(req, true), FilterAction::Reset);
  EXPECT_EQ(s->responseCodeDetails(), "wasm_close_stream");
}

TEST_P(Lifecycle, TrapFailsClosedWith503ForThisAndLaterStreams) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=trap"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  EXPECT_TRUE(s->vmFailed());
  EXPECT_EQ(s->localReply()->status, 503u);
  EXPECT_EQ(s->localReply()->headers, (Headers{{":status", "503"}}));
  EXPECT_EQ(s->localReply()->body, "");
  EXPECT_EQ(s->localReply()->grpc_status, 14);
  EXPECT_EQ(s->responseCodeDetails(), "wasm_fail_stream");
  s->onComplete();
  auto logs = embedder_.take();
  EXPECT_TRUE(logs.back().starts_with("Function: proxy_on_request_headers failed: "))
      << logs.back();
  EXPECT_TRUE(vm->failed());
  EXPECT_EQ(vm->failState(), abi::FailState::RuntimeError);

  auto later = vm->newStream();
  Headers& grpc = keep(request("", "application/grpc"));
  ASSERT_EQ(later->onRequestHeaders(grpc, true), FilterAction::LocalReply);
  EXPECT_EQ(
      later->localReply()->headers,
      (Headers{{":status", "200"}, {"content-type", "application/grpc"}, {"grpc-status", "14"}}));
  later->onComplete();
  EXPECT_TRUE(embedder_.take().empty()) << "a failed VM gets no more callbacks";
}

TEST_P(Lifecycle, TrapFailsOpenWhenConfigured) {
  auto vm = mustStart("", FailStrategy::FailOpen);
  auto s = vm->newStream();
  Headers& req = keep(request("rh=trap"));
  EXPECT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  EXPECT_TRUE(s->vmFailed());
  auto later = vm->newStream();
  Headers& req2 = keep(request(""));
  EXPECT_EQ(later->onRequestHeaders(req2, true), FilterAction::Continue);
}

TEST_P(Lifecycle, FailReloadStartsAFreshVm) {
  auto vm = mustStart("", FailStrategy::FailReload);
  auto s = vm->newStream();
  Headers& req = keep(request("rh=trap"));
  EXPECT_EQ(s->onRequestHeaders(req, true), FilterAction::LocalReply);
  s.reset();
  embedder_.take();
  auto fresh = vm->newStream();
  EXPECT_EQ(vm->reloadCount(), 1u);
  Headers& req2 = keep(request(""));
  EXPECT_EQ(fresh->onRequestHeaders(req2, true), FilterAction::Continue);
  auto logs = embedder_.take();
  EXPECT_EQ(logs.front(), "on_context_create 1 0") << "a new VM, new root context";
  EXPECT_EQ(logs.back(), "on_request_headers 2 3 1");
}

TEST_P(Lifecycle, TrapInLogSkipsDoneAndDelete) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("log=trap"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  s->onComplete();
  auto logs = embedder_.take();
  EXPECT_TRUE(logs.back().starts_with("Function: proxy_on_log failed")) << logs.back();
  for (const auto& line : logs) {
    EXPECT_FALSE(line.starts_with("on_done") || line.starts_with("on_delete")) << line;
  }
  EXPECT_TRUE(s->vmFailed());
  // The VM is failed: the next stream gets the fail-close reply and no callback.
  auto next = vm->newStream();
  Headers& req2 = keep(request(""));
  EXPECT_EQ(next->onRequestHeaders(req2, true), FilterAction::LocalReply);
  ASSERT_NE(next->localReply(), nullptr);
  EXPECT_EQ(next->localReply()->status, 503u);
  next->onComplete();
  EXPECT_TRUE(embedder_.take().empty());
}

TEST_P(Lifecycle, LogDoneAndDeleteRunInOrderOnTheStreamContext) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request(""));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  embedder_.take();
  s->onComplete();
  EXPECT_EQ(embedder_.take(),
            (std::vector<std::string>{"on_log 2 get=0 add=2", "on_done 2", "on_delete 2"}));
  EXPECT_FALSE(s->vmFailed());
  // The context is gone and the VM still serves: the next stream gets a new context id.
  auto next = vm->newStream();
  Headers& req2 = keep(request(""));
  EXPECT_EQ(next->onRequestHeaders(req2, true), FilterAction::Continue);
  EXPECT_EQ(next->contextId(), 3u);
}

TEST_P(Lifecycle, HttpCallResumesTheStreamFromTheRootContext) {
  auto vm = mustStart();
  StreamRecorder cb;
  auto s = vm->newStream(&cb);
  Headers& req = keep(request("rh=callout"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::StopAllIterationAndWatermark);
  ASSERT_EQ(embedder_.calls, (std::vector<std::string>{"cluster token 4"}));
  HttpCallResponse ok{{{":status", "200"}}, "fine", {}};
  vm->onHttpCallResponse(4, &ok);
  EXPECT_EQ(cb.events, (std::vector<std::string>{"continueRequest"}));
  auto logs = embedder_.take();
  EXPECT_EQ(logs[logs.size() - 2], "on_http_call_response 1 4 1 4");
  EXPECT_EQ(logs.back(), "effective 2 -> 0 ok=1");
  vm->onHttpCallResponse(4, &ok);  // a token is answered once
  EXPECT_EQ(cb.events.size(), 1u);
}

TEST_P(Lifecycle, HttpCallFailureSendsALocalReplyThroughTheResponsePath) {
  auto vm = mustStart();
  StreamRecorder cb;
  auto s = vm->newStream(&cb);
  Headers& req = keep(request("rh=callout"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::StopAllIterationAndWatermark);
  vm->onHttpCallResponse(4, nullptr);
  EXPECT_EQ(cb.events, (std::vector<std::string>{"sendLocalReply"}));
  ASSERT_NE(s->localReply(), nullptr);
  EXPECT_EQ(s->localReply()->status, 401u);
  EXPECT_EQ(s->localReply()->headers, (Headers{{":status", "401"}}));
  auto logs = embedder_.take();
  EXPECT_EQ(logs.back(), "on_response_headers 2 1 1 status=401 req=2");
}

TEST_P(Lifecycle, TicksReachTheRootContext) {
  auto vm = mustStart("tick");
  EXPECT_EQ(embedder_.tick.count(), 10);
  vm->onTick();
  EXPECT_EQ(embedder_.take(), (std::vector<std::string>{"on_tick 1"}));
}

TEST_P(Lifecycle, QueueItemsAreDeliveredThroughTheEmbeddersThread) {
  auto vm = mustStart("queue");
  auto s = vm->newStream();
  Headers& req = keep(request("rh=enqueue"));
  ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  EXPECT_EQ(embedder_.tasks.size(), 1u) << "never delivered inline";
  EXPECT_EQ(embedder_.take().back(), "enqueue 0 0");
  embedder_.runTasks();
  EXPECT_EQ(embedder_.take(), (std::vector<std::string>{"on_queue_ready 1 1: 0 hello"}));
}

TEST_P(Lifecycle, RootShutdownCanBeDeferredUntilProxyDone) {
  auto vm = mustStart("defer_done tick");
  vm->shutdown();
  EXPECT_EQ(embedder_.take(), (std::vector<std::string>{"on_done 1"}));
  vm->onTick();
  EXPECT_EQ(embedder_.take(),
            (std::vector<std::string>{"on_tick 1", "proxy_done -> 0", "on_delete 1"}));
  vm->onTick();
  EXPECT_TRUE(embedder_.take().empty());
}

TEST_P(Lifecycle, MemoryGrowthDuringACallbackIsFine) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=grow"));
  EXPECT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  EXPECT_EQ(embedder_.take().back(), "grew 1");
}

TEST_P(Lifecycle, OutOfBoundsGuestPointersAreInvalidMemoryAccess) {
  auto vm = mustStart();
  auto s = vm->newStream();
  Headers& req = keep(request("rh=oob"));
  EXPECT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
  EXPECT_EQ(embedder_.take().back(), "oob -> 6");
  EXPECT_FALSE(vm->failed());
}

TEST_P(Lifecycle, DestroyingTheVmShutsTheRootContextDown) {
  auto vm = mustStart();
  vm.reset();
  EXPECT_EQ(embedder_.take(), (std::vector<std::string>{"on_done 1", "on_delete 1"}));
}

TEST_P(Lifecycle, AnAbandonedCanaryVmGetsNoShutdownCallbacks) {
  auto vm = mustStart();
  vm->abandon();
  vm.reset();
  EXPECT_TRUE(embedder_.take().empty());
}

TEST_P(Lifecycle, DestroyingAStreamWithoutOnCompleteRunsLogWithoutTheMaps) {
  auto vm = mustStart();
  {
    auto s = vm->newStream();
    Headers req = request("");
    ASSERT_EQ(s->onRequestHeaders(req, true), FilterAction::Continue);
    embedder_.take();
    // `req` is destroyed before `s`: the destructor must not read it.
  }
  EXPECT_EQ(embedder_.take(),
            (std::vector<std::string>{"on_log 2 get=1 add=2", "on_done 2", "on_delete 2"}));
}

INSTANTIATE_TEST_SUITE_P(Engines, Lifecycle, ::testing::Values("interp", "aot"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace meshwasm::host
