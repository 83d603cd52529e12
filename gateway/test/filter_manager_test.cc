#include "filter_manager.h"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

namespace meshwasm::gateway {
namespace {

// Records what leaves the chain on both sides.
struct RecordingSink : FilterChainSink {
  std::vector<std::string> events;
  void routeHeaders(HeaderMap& h, bool eos) override {
    events.push_back("route headers " + std::string(h.get(":path").value_or("")) +
                     (eos ? " eos" : ""));
  }
  void routeData(std::string& d, bool eos) override {
    events.push_back("route data '" + d + "'" + (eos ? " eos" : ""));
  }
  void routeTrailers(HeaderMap&) override { events.push_back("route trailers"); }
  void respondHeaders(HeaderMap& h, bool eos) override {
    std::string line = "respond " + std::string(h.get(":status").value_or(""));
    for (const auto& [k, v] : h.entries()) {
      if (k[0] != ':') line += " " + k + "=" + v;
    }
    events.push_back(line + (eos ? " eos" : ""));
  }
  void respondData(std::string& d, bool eos) override {
    events.push_back("respond data '" + d + "'" + (eos ? " eos" : ""));
  }
  void respondTrailers(HeaderMap&) override { events.push_back("respond trailers"); }
  void abortUpstream() override { events.push_back("abort upstream"); }
  void resetDownstream(const std::string& d) override { events.push_back("reset " + d); }
};

// A filter whose callbacks are lambdas; records its calls into a shared log. Reusable: a
// manager built from factories keeps it from stream to stream (beginStream/endStream logged).
struct ScriptFilter : ReusableStreamFilter {
  std::string name;
  std::vector<std::string>* log;
  std::function<HeadersStatus(ScriptFilter&, HeaderMap&, bool)> on_request_headers;
  std::function<DataStatus(ScriptFilter&, std::string&, bool)> on_request_data;
  std::function<HeadersStatus(ScriptFilter&, HeaderMap&, bool)> on_response_headers;
  std::function<TrailersStatus(ScriptFilter&, HeaderMap&)> on_request_trailers;

  void beginStream() override { log->push_back(name + " begin"); }
  void endStream() override { log->push_back(name + " end"); }
  TrailersStatus decodeTrailers(HeaderMap& t) override {
    log->push_back(name + " decodeTrailers");
    return on_request_trailers ? on_request_trailers(*this, t) : TrailersStatus::Continue;
  }

  HeadersStatus decodeHeaders(HeaderMap& h, bool eos) override {
    log->push_back(name + " decodeHeaders" + (eos ? " eos" : ""));
    return on_request_headers ? on_request_headers(*this, h, eos) : HeadersStatus::Continue;
  }
  DataStatus decodeData(std::string& d, bool eos) override {
    log->push_back(name + " decodeData '" + d + "'" + (eos ? " eos" : ""));
    return on_request_data ? on_request_data(*this, d, eos) : DataStatus::Continue;
  }
  HeadersStatus encodeHeaders(HeaderMap& h, bool eos) override {
    log->push_back(name + " encodeHeaders " + std::string(h.get(":status").value_or("")) +
                   (eos ? " eos" : ""));
    return on_response_headers ? on_response_headers(*this, h, eos) : HeadersStatus::Continue;
  }
  DataStatus encodeData(std::string& d, bool eos) override {
    log->push_back(name + " encodeData '" + d + "'" + (eos ? " eos" : ""));
    return DataStatus::Continue;
  }
  void onLog() override { log->push_back(name + " log"); }
  void onDestroy() override { log->push_back(name + " destroy"); }
  FilterCallbacks& cb() { return *callbacks_; }
};

HeaderMap request(std::string path) {
  HeaderMap h;
  h.add(":authority", "example");
  h.add(":path", path);
  h.add(":method", "GET");
  return h;
}

HeaderMap response(int status) {
  HeaderMap h;
  h.add(":status", std::to_string(status));
  return h;
}

struct Chain {
  RecordingSink sink;
  StreamInfo info;
  std::vector<ScriptFilter*> filters;
  std::unique_ptr<FilterManager> fm;
  explicit Chain(int n, size_t limit = 1 << 20) {
    FilterList owned;
    for (int i = 0; i < n; ++i) {
      auto f = std::make_unique<ScriptFilter>();
      f->name = "f" + std::to_string(i);
      f->log = &sink.events;
      filters.push_back(f.get());
      owned.push_back(std::move(f));
    }
    fm = std::make_unique<FilterManager>(std::move(owned), sink, info, limit);
  }
};

TEST(FilterManager, PassesRequestThroughFiltersInOrderAndResponseInReverse) {
  Chain c(2);
  c.fm->decodeHeaders(request("/a"), false);
  c.fm->decodeData("hello", true);
  c.fm->encodeHeaders(response(200), false);
  c.fm->encodeData("ok", true);
  c.fm->finish();
  std::vector<std::string> want = {
      "f0 decodeHeaders",        "f1 decodeHeaders",       "route headers /a",
      "f0 decodeData 'hello' eos", "f1 decodeData 'hello' eos", "route data 'hello' eos",
      "f1 encodeHeaders 200",    "f0 encodeHeaders 200",   "respond 200",
      "f1 encodeData 'ok' eos",  "f0 encodeData 'ok' eos", "respond data 'ok' eos",
      "f0 log",                  "f1 log",                 "f0 destroy",
      "f1 destroy"};
  EXPECT_EQ(c.sink.events, want);
  EXPECT_EQ(c.info.response_code, 200);
}

TEST(FilterManager, HeaderStopHoldsBodyUntilContinueThenDeliversItToTheSameFilter) {
  Chain c(2);
  c.filters[0]->on_request_headers = [](ScriptFilter&, HeaderMap&, bool) {
    return HeadersStatus::StopAllIterationAndWatermark;
  };
  c.fm->decodeHeaders(request("/p"), false);
  c.fm->decodeData("ab", false);
  c.fm->decodeData("cd", true);
  EXPECT_EQ(c.sink.events, (std::vector<std::string>{"f0 decodeHeaders"}));
  c.filters[0]->cb().continueDecoding();
  std::vector<std::string> want = {"f0 decodeHeaders",          "f1 decodeHeaders",
                                   "route headers /p",          "f0 decodeData 'abcd' eos",
                                   "f1 decodeData 'abcd' eos",  "route data 'abcd' eos"};
  EXPECT_EQ(c.sink.events, want);
}

TEST(FilterManager, BodyBufferingOffersTheAccumulatedBody) {
  Chain c(1);
  c.filters[0]->on_request_data = [](ScriptFilter&, std::string& d, bool eos) {
    if (!eos) return DataStatus::StopIterationAndBuffer;
    d = "[" + d + "]";
    return DataStatus::Continue;
  };
  c.fm->decodeHeaders(request("/b"), false);
  c.fm->decodeData("x", false);
  c.fm->decodeData("y", false);
  c.fm->decodeData("z", true);
  std::vector<std::string> want = {"f0 decodeHeaders",       "route headers /b",
                                   "f0 decodeData 'x'",      "f0 decodeData 'xy'",
                                   "f0 decodeData 'xyz' eos", "route data '[xyz]' eos"};
  EXPECT_EQ(c.sink.events, want);
}

TEST(FilterManager, LocalReplyFromRequestHeadersRunsThroughThatFilterAndEarlierOnes) {
  Chain c(3);
  c.filters[1]->on_request_headers = [](ScriptFilter& f, HeaderMap&, bool) {
    f.cb().sendLocalReply(403, "denied\n", HeaderMap(), "my details");
    return HeadersStatus::Continue;  // overridden: the reply wins
  };
  c.fm->decodeHeaders(request("/d"), true);
  std::vector<std::string> want = {
      "f0 decodeHeaders eos", "f1 decodeHeaders eos", "abort upstream",
      "f1 encodeHeaders 403",  "f0 encodeHeaders 403",
      "respond 403 content-length=7 content-type=text/plain",
      "f1 encodeData 'denied\n' eos", "f0 encodeData 'denied\n' eos",
      "respond data 'denied\n' eos"};
  EXPECT_EQ(c.sink.events, want);
  EXPECT_EQ(c.info.response_code_details, "my_details");
  EXPECT_EQ(c.info.response_code, 403);
}

TEST(FilterManager, PreparedReplySkipsTheSendingFiltersOwnResponseSide) {
  Chain c(2);
  c.filters[1]->on_request_headers = [](ScriptFilter& f, HeaderMap&, bool) {
    HeaderMap h;
    h.add(":status", "503");
    f.cb().sendPreparedReply(std::move(h), "", "wasm_fail_stream");
    return HeadersStatus::StopAllIterationAndWatermark;
  };
  c.fm->decodeHeaders(request("/f"), true);
  std::vector<std::string> want = {"f0 decodeHeaders eos", "f1 decodeHeaders eos",
                                   "abort upstream", "f0 encodeHeaders 503 eos", "respond 503 eos"};
  EXPECT_EQ(c.sink.events, want);
  EXPECT_EQ(c.info.response_code_details, "wasm_fail_stream");
}

TEST(FilterManager, PreparedReplyOfTheFirstFilterGoesToTheClientWithItsStatusAndBody) {
  Chain c(2);
  c.filters[0]->on_request_headers = [](ScriptFilter& f, HeaderMap&, bool) {
    HeaderMap h;
    h.add(":status", "403");
    h.add("content-type", "text/plain");
    h.add("content-length", "7");
    f.cb().sendPreparedReply(std::move(h), "denied\n", "denied by plugin");
    return HeadersStatus::StopAllIterationAndWatermark;
  };
  c.fm->decodeHeaders(request("/p"), true);
  c.fm->finish();
  std::vector<std::string> want = {"f0 decodeHeaders eos", "abort upstream",
                                   "respond 403 content-type=text/plain content-length=7",
                                   "respond data 'denied\n' eos", "f0 log", "f1 log",
                                   "f0 destroy", "f1 destroy"};
  EXPECT_EQ(c.sink.events, want);
  EXPECT_EQ(c.info.response_code, 403);
  EXPECT_EQ(c.info.response_code_details, "denied_by_plugin");
  ASSERT_NE(c.filters[0]->cb().responseHeaders(), nullptr);
  EXPECT_EQ(c.filters[0]->cb().responseHeaders()->get(":status"), "403");
}

TEST(FilterManager, StatusChangedByAFilterOnALocalReplyIsTheRecordedOne) {
  Chain c(2);
  c.filters[1]->on_request_headers = [](ScriptFilter& f, HeaderMap&, bool) {
    f.cb().sendLocalReply(403, "", HeaderMap(), "denied");
    return HeadersStatus::StopIteration;
  };
  c.filters[0]->on_response_headers = [](ScriptFilter&, HeaderMap& h, bool) {
    h.set(":status", "401");
    return HeadersStatus::Continue;
  };
  c.fm->decodeHeaders(request("/s"), true);
  std::vector<std::string> want = {"f0 decodeHeaders eos", "f1 decodeHeaders eos",
                                   "abort upstream",       "f1 encodeHeaders 403 eos",
                                   "f0 encodeHeaders 403 eos", "respond 401 eos"};
  EXPECT_EQ(c.sink.events, want);
  EXPECT_EQ(c.info.response_code, 401);
}

TEST(FilterManager, ReplySentOutsideACallbackRunsAtOnceThroughTheEarlierFilters) {
  Chain c(2);
  c.filters[1]->on_request_headers = [](ScriptFilter&, HeaderMap&, bool) {
    return HeadersStatus::StopAllIterationAndWatermark;  // e.g. waiting for an http call
  };
  c.fm->decodeHeaders(request("/later"), true);
  HeaderMap h;
  h.add(":status", "429");
  c.filters[1]->cb().sendPreparedReply(std::move(h), "slow down", "rate limited");
  std::vector<std::string> want = {"f0 decodeHeaders eos", "f1 decodeHeaders eos",
                                   "abort upstream",       "f0 encodeHeaders 429",
                                   "respond 429",          "f0 encodeData 'slow down' eos",
                                   "respond data 'slow down' eos"};
  EXPECT_EQ(c.sink.events, want);
  EXPECT_EQ(c.info.response_code, 429);
  EXPECT_EQ(c.info.response_code_details, "rate_limited");
  c.filters[0]->cb().resetStream("too late");  // response already sent: the stream resets
  EXPECT_EQ(c.sink.events.back(), "reset too late");
}

TEST(FilterManager, LocalReplyFromResponseHeadersGoesStraightDownstream) {
  Chain c(2);
  c.filters[0]->on_response_headers = [](ScriptFilter& f, HeaderMap&, bool) {
    f.cb().sendLocalReply(500, "", HeaderMap(), "replaced");
    return HeadersStatus::Continue;
  };
  c.fm->decodeHeaders(request("/r"), true);
  c.fm->encodeHeaders(response(200), false);
  c.fm->encodeData("upstream body", true);
  std::vector<std::string> want = {"f0 decodeHeaders eos", "f1 decodeHeaders eos",
                                   "route headers /r eos", "f1 encodeHeaders 200",
                                   "f0 encodeHeaders 200", "abort upstream",
                                   "respond 500 eos"};
  EXPECT_EQ(c.sink.events, want);
}

TEST(FilterManager, BufferOverLimitOnRequestAnswers413) {
  Chain c(1, 4);
  c.filters[0]->on_request_data = [](ScriptFilter&, std::string&, bool) {
    return DataStatus::StopIterationAndBuffer;
  };
  c.fm->decodeHeaders(request("/big"), false);
  c.fm->decodeData("12345", false);
  ASSERT_GE(c.sink.events.size(), 2u);
  EXPECT_EQ(c.info.response_code, 413);
  EXPECT_EQ(c.info.response_code_details, "request_payload_too_large");
  EXPECT_EQ(c.sink.events.back(), "respond data 'Payload Too Large' eos");
}

TEST(FilterManager, ResetSkipsRemainingCallbacksButStillLogsAndDestroys) {
  Chain c(1);
  c.fm->decodeHeaders(request("/x"), false);
  c.fm->markReset();
  c.fm->decodeData("late", true);
  c.fm->finish();
  std::vector<std::string> want = {"f0 decodeHeaders", "route headers /x", "f0 log",
                                   "f0 destroy"};
  EXPECT_EQ(c.sink.events, want);
}

TEST(FilterManager, ContinueCalledInsideTheCallbackTakesEffectAfterItReturns) {
  Chain c(1);
  c.filters[0]->on_request_headers = [](ScriptFilter& f, HeaderMap&, bool) {
    f.cb().continueDecoding();
    return HeadersStatus::StopAllIterationAndWatermark;
  };
  c.fm->decodeHeaders(request("/c"), true);
  std::vector<std::string> want = {"f0 decodeHeaders eos", "route headers /c eos"};
  EXPECT_EQ(c.sink.events, want);
}

// ------------------------------------------------------------------ streams on a reused chain

// Factories for `n` ScriptFilters named f0.. that log into `log`; `made` counts the filters made.
std::vector<FilterFactory> scriptFactories(int n, std::vector<std::string>* log,
                                           std::vector<ScriptFilter*>* made) {
  std::vector<FilterFactory> factories;
  for (int i = 0; i < n; ++i) {
    factories.push_back([i, log, made]() -> std::unique_ptr<StreamFilter> {
      auto f = std::make_unique<ScriptFilter>();
      f->name = "f" + std::to_string(i);
      f->log = log;
      made->push_back(f.get());
      return f;
    });
  }
  return factories;
}

HeaderMap trailers() {
  HeaderMap t;
  t.add("x-checksum", "1");
  return t;
}

// The second stream of the reuse tests: a POST with a body, a 200 with a body, log.
void runPlainStream(FilterManager& fm) {
  fm.beginStream();
  fm.decodeHeaders(request("/two"), false);
  fm.decodeData("xyz", true);
  fm.encodeHeaders(response(200), false);
  fm.encodeData("ok", true);
  fm.finish();
}

TEST(FilterManager, ReusedChainRunsTheNextStreamAsAFreshChainWould) {
  std::vector<std::string> log;
  std::vector<ScriptFilter*> made;
  auto factories = scriptFactories(2, &log, &made);
  RecordingSink sink;
  StreamInfo info;
  FilterManager fm(factories, sink, info, 1 << 20);
  EXPECT_TRUE(made.empty()) << "no filter before the first stream";

  // Stream 1 leaves state everywhere: f1 stops the headers (body and trailers pile up in its
  // slot), then answers with a local reply; f0 stops the reply's response headers and is reset
  // while holding them.
  fm.beginStream();
  ASSERT_EQ(made.size(), 2u);
  made[1]->on_request_headers = [](ScriptFilter&, HeaderMap&, bool) {
    return HeadersStatus::StopAllIterationAndBuffer;
  };
  made[0]->on_response_headers = [](ScriptFilter&, HeaderMap&, bool) {
    return HeadersStatus::StopAllIterationAndWatermark;
  };
  fm.decodeHeaders(request("/one"), false);
  fm.decodeData("abc", false);
  fm.decodeTrailers(trailers());
  made[1]->cb().sendLocalReply(403, "denied", HeaderMap(), "f1 says no");
  made[0]->cb().resetStream("gone");
  EXPECT_TRUE(fm.localReplySent());
  EXPECT_TRUE(fm.isReset());
  fm.finish();
  fm.endStream();
  EXPECT_EQ(log.back(), "f1 end");
  made[1]->on_request_headers = nullptr;
  made[0]->on_response_headers = nullptr;

  // Stream 2 on the same filters, against the same stream on a chain made for it.
  log.clear();
  sink.events.clear();
  runPlainStream(fm);
  EXPECT_EQ(made.size(), 2u) << "the filters were kept";
  EXPECT_FALSE(fm.localReplySent());
  EXPECT_FALSE(fm.isReset());
  EXPECT_FALSE(fm.headRequest());
  ASSERT_NE(fm.requestHeaders(), nullptr);
  EXPECT_EQ(fm.requestHeaders()->get(":path"), "/two");
  EXPECT_EQ(made[1]->cb().requestTrailers(), nullptr);
  EXPECT_EQ(made[1]->cb().responseTrailers(), nullptr);
  ASSERT_NE(made[0]->cb().responseHeaders(), nullptr);
  EXPECT_EQ(made[0]->cb().responseHeaders()->get(":status"), "200");
  std::vector<std::string> reused_log = log;
  std::vector<std::string> reused_sink = sink.events;
  EXPECT_EQ(info.response_code, 200);

  std::vector<std::string> fresh_log;
  std::vector<ScriptFilter*> fresh_made;
  auto fresh_factories = scriptFactories(2, &fresh_log, &fresh_made);
  RecordingSink fresh_sink;
  StreamInfo fresh_info;
  FilterManager fresh(fresh_factories, fresh_sink, fresh_info, 1 << 20);
  runPlainStream(fresh);
  EXPECT_EQ(reused_log, fresh_log);
  EXPECT_EQ(reused_sink, fresh_sink.events);
  std::vector<std::string> want_filters = {
      "f0 begin",                "f1 begin",                "f0 decodeHeaders",
      "f1 decodeHeaders",        "f0 decodeData 'xyz' eos", "f1 decodeData 'xyz' eos",
      "f1 encodeHeaders 200",    "f0 encodeHeaders 200",    "f1 encodeData 'ok' eos",
      "f0 encodeData 'ok' eos",  "f0 log",                  "f1 log",
      "f0 destroy",              "f1 destroy"};
  EXPECT_EQ(reused_log, want_filters);
  std::vector<std::string> want_sink = {"route headers /two", "route data 'xyz' eos",
                                        "respond 200", "respond data 'ok' eos"};
  EXPECT_EQ(reused_sink, want_sink);
}

TEST(FilterManager, ReusedChainDropsWhatAStoppedFilterBufferedAndPendingTrailers) {
  std::vector<std::string> log;
  std::vector<ScriptFilter*> made;
  auto factories = scriptFactories(1, &log, &made);
  RecordingSink sink;
  StreamInfo info;
  FilterManager fm(factories, sink, info, 1 << 20);
  fm.beginStream();
  made[0]->on_request_data = [](ScriptFilter&, std::string&, bool) {
    return DataStatus::StopIterationAndBuffer;
  };
  made[0]->on_request_trailers = [](ScriptFilter&, HeaderMap&) {
    return TrailersStatus::StopIteration;
  };
  fm.decodeHeaders(request("/one"), false);
  fm.decodeData("left", false);
  fm.decodeData("over", false);
  fm.decodeTrailers(trailers());
  EXPECT_EQ(*made[0]->cb().requestBody(), "leftover");
  fm.endStream();  // ends without a response: finish() runs here
  std::vector<std::string> first = {"f0 begin",           "f0 decodeHeaders",
                                    "f0 decodeData 'left'", "f0 decodeData 'leftover'",
                                    "f0 decodeTrailers",  "f0 log",
                                    "f0 destroy",         "f0 end"};
  EXPECT_EQ(log, first);
  EXPECT_EQ(sink.events, (std::vector<std::string>{"route headers /one"}));

  made[0]->on_request_data = nullptr;
  made[0]->on_request_trailers = nullptr;
  log.clear();
  sink.events.clear();
  fm.beginStream();
  EXPECT_EQ(made[0]->cb().requestBody(), nullptr) << "no request side before its headers";
  fm.decodeHeaders(request("/two"), false);
  EXPECT_EQ(*made[0]->cb().requestBody(), "");
  fm.decodeData("new", false);
  fm.decodeTrailers(trailers());
  std::vector<std::string> want = {"route headers /two", "route data 'new'", "route trailers"};
  EXPECT_EQ(sink.events, want);
  EXPECT_EQ(made.size(), 1u);
}

// A filter the manager cannot keep: it must be made anew for every stream.
struct OneShotFilter : StreamFilter {
  std::vector<std::string>* log;
  explicit OneShotFilter(std::vector<std::string>* l) : log(l) { log->push_back("made"); }
  ~OneShotFilter() override { log->push_back("gone"); }
  HeadersStatus decodeHeaders(HeaderMap& h, bool) override {
    log->push_back("decodeHeaders " + std::string(h.get(":path").value_or("")));
    return HeadersStatus::Continue;
  }
};

TEST(FilterManager, ChainWithAFilterThatIsNotReusableGetsNewFiltersPerStream) {
  std::vector<std::string> log;
  std::vector<ScriptFilter*> made;
  auto factories = scriptFactories(1, &log, &made);
  factories.push_back([&log]() -> std::unique_ptr<StreamFilter> {
    return std::make_unique<OneShotFilter>(&log);
  });
  factories.push_back([]() -> std::unique_ptr<StreamFilter> { return nullptr; });  // none
  RecordingSink sink;
  StreamInfo info;
  {
    FilterManager fm(factories, sink, info, 1 << 20);
    for (const char* path : {"/one", "/two"}) {
      fm.beginStream();
      fm.decodeHeaders(request(path), true);
      fm.finish();
      fm.endStream();
    }
    EXPECT_EQ(made.size(), 2u);
  }
  std::vector<std::string> want = {
      "made", "f0 begin", "decodeHeaders /one", "f0 log", "f0 destroy", "f0 end", "gone",
      "made", "f0 begin", "decodeHeaders /two", "f0 log", "f0 destroy", "f0 end", "gone"};
  std::vector<std::string> got;
  for (const auto& line : log) {
    if (line.starts_with("f0 decodeHeaders")) continue;
    got.push_back(line);
  }
  EXPECT_EQ(got, want);
}

TEST(FilterManager, ManagerDestroyedMidStreamLogsAndDestroysOnce) {
  std::vector<std::string> log;
  std::vector<ScriptFilter*> made;
  auto factories = scriptFactories(1, &log, &made);
  RecordingSink sink;
  StreamInfo info;
  {
    FilterManager fm(factories, sink, info, 1 << 20);
    fm.beginStream();
    fm.decodeHeaders(request("/x"), false);
  }
  std::vector<std::string> want = {"f0 begin", "f0 decodeHeaders", "f0 log", "f0 destroy"};
  EXPECT_EQ(log, want);
  log.clear();
  {
    FilterManager idle(factories, sink, info, 1 << 20);  // never ran a stream
  }
  EXPECT_TRUE(log.empty());
}

TEST(LocalReply, EmptyBodyDropsContentTypeAndLength) {
  std::string body;
  HeaderMap h;
  h.add("Content-Type", "application/json");
  h.add("x-a", "1");
  buildLocalReply(401, body, h, false);
  EXPECT_EQ(h.entries(), (std::vector<HeaderMap::Entry>{{":status", "401"}, {"x-a", "1"}}));
}

}  // namespace
}  // namespace meshwasm::gateway
