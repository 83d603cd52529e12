// Host calls against a fake Vm: every proxy_* and WASI function's error paths and results.
#include <gtest/gtest.h>

#include <cstring>
#include <thread>

#include "fake_vm.h"
#include "http_stream_impl.h"
#include "meshwasm/abi/pairs.h"
#include "meshwasm/host/plugin.h"
#include "wasm_instance.h"

namespace meshwasm::host {
namespace {

using testing::FakeVm;

constexpr uint32_t kOk = 0, kNotFound = 1, kBadArgument = 2, kParseFailure = 4, kIma = 6,
                   kEmpty = 7, kCasMismatch = 8, kInternalFailure = 10, kUnimplemented = 12;
constexpr uint64_t kBad = 0xFFFFFFF0u;  // outside the fake's memory
constexpr uint32_t kOutPtr = 8, kOutLen = 12;

class RecordingEmbedder : public Embedder {
 public:
  void log(const LogRecord& r) override {
    lines.push_back(std::string(abi::toString(r.level)) + "|" + std::string(r.prefix) + "|" +
                    std::string(r.message));
  }
  std::vector<std::string> lines;
};

class HostCalls : public ::testing::Test {
 protected:
  void SetUp() override { init(AbiVersion::V0_2_1); }

  void init(AbiVersion version) {
    PluginConfig c;
    c.name = "my_plugin";
    c.root_id = "my_root";
    c.vm_id = "my_vm";
    c.configuration = "plugin-config";
    c.vm_configuration = "vm-config";
    c.environment_variables = {{"A", "1"}, {"BB", "22"}};
    version_ = version;
    plugin_ = Plugin::forTesting(c, version);
    instance_ = std::make_unique<WasmInstance>(plugin_, &shared_, &embedder_, nullptr);
    auto vm = std::make_unique<FakeVm>();
    vm_ = vm.get();
    instance_->attach(std::move(vm));
    ASSERT_TRUE(instance_->start().isOk());
    // Host calls run inside callbacks; outside a stream, that is the root context.
    ASSERT_TRUE(instance_->setEffective(1));
  }

  struct Outcome {
    bool ok = false;
    uint32_t result = 0;
    std::string trap;
  };
  Outcome callIn(std::string_view module, std::string_view name, std::vector<uint64_t> args) {
    const HostFunction* f = importTable(version_).find(module, name);
    if (f == nullptr) {
      ADD_FAILURE() << "no host function " << module << "." << name;
      return {};
    }
    EXPECT_EQ(args.size(), f->type.params.size()) << name;
    HostCallFrame frame{*vm_, instance_.get(), f->data};
    uint64_t results[1] = {0};
    Outcome o;
    o.ok = f->callback(frame, args.data(), results, &o.trap);
    o.result = static_cast<uint32_t>(results[0]);
    return o;
  }
  uint32_t call(std::string_view name, std::vector<uint64_t> args) {
    Outcome o = callIn("env", name, std::move(args));
    EXPECT_TRUE(o.ok) << name << " trapped: " << o.trap;
    return o.result;
  }
  uint32_t wasi(std::string_view name, std::vector<uint64_t> args) {
    Outcome o = callIn("wasi_snapshot_preview1", name, std::move(args));
    EXPECT_TRUE(o.ok) << name << " trapped: " << o.trap;
    return o.result;
  }

  // Guest input bytes in a scratch area below the allocator's region.
  uint32_t put(std::string_view bytes) {
    uint32_t at = scratch_;
    EXPECT_TRUE(vm_->write(at, bytes));
    scratch_ += static_cast<uint32_t>(bytes.size() + 8) & ~7u;
    EXPECT_LT(scratch_, 1024u);
    return at;
  }
  uint32_t u32At(uint32_t ptr) { return *vm_->readU32(ptr); }
  uint64_t u64At(uint32_t ptr) { return uint64_t{u32At(ptr)} | (uint64_t{u32At(ptr + 4)} << 32); }
  std::string outBuffer() {
    uint32_t ptr = u32At(kOutPtr);
    uint32_t len = u32At(kOutLen);
    if (len == 0) return ptr == 0 ? "" : "<non-null empty>";
    return std::string(*vm_->read(ptr, len));
  }
  void clearOut() {
    vm_->writeU32(kOutPtr, 0xAAAAAAAA);
    vm_->writeU32(kOutLen, 0xAAAAAAAA);
  }
  Context* enterStream(StreamState& s) {
    Context* c = instance_->createStreamContext(&s);
    EXPECT_TRUE(instance_->setEffective(c->id));
    return c;
  }
  uint32_t getValue(uint32_t map, std::string_view key) {
    uint32_t k = put(key);
    clearOut();
    return call("proxy_get_header_map_value", {map, k, key.size(), kOutPtr, kOutLen});
  }

  AbiVersion version_ = AbiVersion::V0_2_1;
  SharedState shared_;
  RecordingEmbedder embedder_;
  std::shared_ptr<const Plugin> plugin_;
  std::unique_ptr<WasmInstance> instance_;
  FakeVm* vm_ = nullptr;
  uint32_t scratch_ = 64;
};

// ------------------------------------------------------------------ logging, time, timers

TEST_F(HostCalls, LogWritesAtTheRequestedLevelWithTheRootPrefix) {
  uint32_t m = put("hello");
  EXPECT_EQ(call("proxy_log", {3, m, 5}), kOk);
  ASSERT_EQ(embedder_.lines.size(), 1u);
  EXPECT_EQ(embedder_.lines[0], "warn| my_root my_vm|hello");
}

TEST_F(HostCalls, LogUsesTheStreamPrefixInStreamContexts) {
  StreamState s;
  enterStream(s);
  uint32_t m = put("hi");
  EXPECT_EQ(call("proxy_log", {2, m, 2}), kOk);
  EXPECT_EQ(embedder_.lines.back(), "info| my_plugin my_root my_vm|hi");
}

TEST_F(HostCalls, LogRejectsBadLevelAndBadMemory) {
  uint32_t m = put("x");
  EXPECT_EQ(call("proxy_log", {6, m, 1}), kBadArgument);
  EXPECT_EQ(call("proxy_log", {2, kBad, 4}), kIma);
  EXPECT_EQ(call("proxy_log", {2, 65530, 100}), kIma);
  EXPECT_TRUE(embedder_.lines.empty());
}

TEST_F(HostCalls, LogDropsLinesBelowThePluginLevelWhichCanChangeAtRunTime) {
  uint32_t m = put("dbg");
  EXPECT_EQ(call("proxy_log", {1, m, 3}), kOk);
  EXPECT_TRUE(embedder_.lines.empty());
  plugin_->setLogLevel(abi::LogLevel::Debug);
  EXPECT_EQ(call("proxy_log", {1, m, 3}), kOk);
  EXPECT_EQ(embedder_.lines.size(), 1u);
}

TEST_F(HostCalls, GetLogLevelAnswersTheCurrentLevel) {
  EXPECT_EQ(call("proxy_get_log_level", {kOutPtr}), kOk);
  EXPECT_EQ(u32At(kOutPtr), 2u);
  plugin_->setLogLevel(abi::LogLevel::Error);
  EXPECT_EQ(call("proxy_get_log_level", {kOutPtr}), kOk);
  EXPECT_EQ(u32At(kOutPtr), 4u);
  EXPECT_EQ(call("proxy_get_log_level", {kBad}), kIma);
}

TEST_F(HostCalls, GetLogLevelIsOnlyImportableUnderAbi021) {
  EXPECT_NE(importTable(AbiVersion::V0_2_1).find("env", "proxy_get_log_level"), nullptr);
  EXPECT_EQ(importTable(AbiVersion::V0_2_0).find("env", "proxy_get_log_level"), nullptr);
  EXPECT_EQ(importTable(AbiVersion::V0_1_0).find("env", "proxy_get_log_level"), nullptr);
  EXPECT_EQ(importTable(AbiVersion::V0_2_1).find("env", "proxy_continue_request"), nullptr);
  EXPECT_NE(importTable(AbiVersion::V0_1_0).find("env", "proxy_continue_request"), nullptr);
  EXPECT_EQ(importTable(AbiVersion::V0_1_0).find("env", "proxy_continue_stream"), nullptr);
  EXPECT_NE(importTable(AbiVersion::V0_1_0).find("env", "proxy_get_configuration"), nullptr);
  EXPECT_NE(importTable(AbiVersion::V0_2_1).find("wasi_unstable", "fd_write"), nullptr);
  const HostFunction* inc = importTable(AbiVersion::V0_2_1).find("env", "proxy_increment_metric");
  ASSERT_NE(inc, nullptr);
  EXPECT_EQ(toString(inc->type),
            toString(FunctionType{{ValueType::I32, ValueType::I64}, {ValueType::I32}}));
}

TEST_F(HostCalls, CurrentTimeIsWallClockNanoseconds) {
  EXPECT_EQ(call("proxy_get_current_time_nanoseconds", {kOutPtr}), kOk);
  uint64_t ns = u64At(kOutPtr);
  auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  EXPECT_LT(static_cast<int64_t>(now - ns), 5'000'000'000);
  EXPECT_EQ(call("proxy_get_current_time_nanoseconds", {kBad}), kIma);
}

TEST_F(HostCalls, TickPeriodIsAlwaysOk) {
  EXPECT_EQ(call("proxy_set_tick_period_milliseconds", {250}), kOk);
  EXPECT_EQ(instance_->tickPeriod().count(), 250);
  EXPECT_EQ(call("proxy_set_tick_period_milliseconds", {0}), kOk);
}

// ------------------------------------------------------------------ properties

TEST_F(HostCalls, PluginPropertiesAreReadableInTheRootContext) {
  std::string path("plugin_root_id\0", 15);  // the C++ SDK's trailing NUL is accepted
  uint32_t p = put(path);
  EXPECT_EQ(call("proxy_get_property", {p, path.size(), kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "my_root");
  uint32_t n = put("plugin_name");
  EXPECT_EQ(call("proxy_get_property", {n, 11, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "my_plugin");
  uint32_t v = put("plugin_vm_id");
  EXPECT_EQ(call("proxy_get_property", {v, 12, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "my_vm");
}

TEST_F(HostCalls, PropertyErrors) {
  uint32_t p = put("no_such_thing");
  EXPECT_EQ(call("proxy_get_property", {p, 13, kOutPtr, kOutLen}), kNotFound);
  EXPECT_EQ(call("proxy_get_property", {kBad, 4, kOutPtr, kOutLen}), kIma);
  uint32_t n = put("plugin_name");
  EXPECT_EQ(call("proxy_get_property", {n, 11, kBad, kOutLen}), kIma);
  std::string req("request\0path", 12);
  uint32_t r = put(req);
  EXPECT_EQ(call("proxy_get_property", {r, req.size(), kOutPtr, kOutLen}), kNotFound)
      << "request.* is not available in a root context";
}

TEST_F(HostCalls, RequestPropertiesComeFromTheRequestHeaders) {
  Headers h = {{":path", "/a/b?x=1"}, {":method", "GET"}, {"allow", "yes"}, {"allow", "no"}};
  StreamState s;
  s.request_headers = &h;
  enterStream(s);
  auto get = [&](std::string path) {
    uint32_t p = put(path);
    clearOut();
    uint32_t r = call("proxy_get_property", {p, path.size(), kOutPtr, kOutLen});
    return r == kOk ? outBuffer() : "status " + std::to_string(r);
  };
  EXPECT_EQ(get(std::string("request\0path", 12)), "/a/b?x=1");
  EXPECT_EQ(get(std::string("request\0url_path", 16)), "/a/b");
  EXPECT_EQ(get(std::string("request\0query", 13)), "x=1");
  EXPECT_EQ(get(std::string("request\0method", 14)), "GET");
  EXPECT_EQ(get(std::string("request\0headers\0allow", 21)), "yes,no");
  EXPECT_EQ(get("request.path"), "status 1") << "dotted names are not paths";
  std::string map = get(std::string("request\0headers", 15));
  Headers joined = {{":path", "/a/b?x=1"}, {":method", "GET"}, {"allow", "yes,no"}};
  EXPECT_EQ(map, abi::encodePairs(joined));
}

TEST_F(HostCalls, SetPropertyNeedsAStreamAndIsReadBack) {
  uint32_t p = put("my.prop");
  uint32_t v = put("value");
  EXPECT_EQ(call("proxy_set_property", {p, 7, v, 5}), kNotFound);
  StreamState s;
  enterStream(s);
  EXPECT_EQ(call("proxy_set_property", {p, 7, v, 5}), kOk);
  EXPECT_EQ(call("proxy_get_property", {p, 7, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "value");
  EXPECT_EQ(call("proxy_set_property", {kBad, 7, v, 5}), kIma);
}

// ------------------------------------------------------------------ header maps

TEST_F(HostCalls, MapTypeOutOfRangeIsBadArgumentEverywhere) {
  uint32_t k = put("a");
  EXPECT_EQ(call("proxy_get_header_map_pairs", {8, kOutPtr, kOutLen}), kBadArgument);
  EXPECT_EQ(call("proxy_set_header_map_pairs", {8, k, 0}), kBadArgument);
  EXPECT_EQ(call("proxy_get_header_map_value", {8, k, 1, kOutPtr, kOutLen}), kBadArgument);
  EXPECT_EQ(call("proxy_add_header_map_value", {8, k, 1, k, 1}), kBadArgument);
  EXPECT_EQ(call("proxy_replace_header_map_value", {8, k, 1, k, 1}), kBadArgument);
  EXPECT_EQ(call("proxy_remove_header_map_value", {8, k, 1}), kBadArgument);
  EXPECT_EQ(call("proxy_get_header_map_size", {8, kOutPtr}), kBadArgument);
}

TEST_F(HostCalls, UnavailableMapsAnswerAsEnvoyDoes) {
  uint32_t k = put("a");
  clearOut();
  EXPECT_EQ(call("proxy_get_header_map_pairs", {0, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(u32At(kOutPtr), 0u);
  EXPECT_EQ(u32At(kOutLen), 0u);
  EXPECT_EQ(getValue(0, "a"), kBadArgument);
  EXPECT_EQ(call("proxy_add_header_map_value", {0, k, 1, k, 1}), kBadArgument);
  EXPECT_EQ(call("proxy_get_header_map_size", {0, kOutPtr}), kBadArgument);
  EXPECT_EQ(getValue(6, "a"), kBadArgument) << "HTTP-call response headers outside the callback";
}

TEST_F(HostCalls, HeaderValuesAreFoundCaseInsensitivelyFirstValueOnly) {
  Headers h = {{"allow", "true"}, {"allow", "second"}, {"empty", ""}};
  StreamState s;
  s.maps[0] = &h;
  s.readable[0] = s.writable[0] = true;
  enterStream(s);
  EXPECT_EQ(getValue(0, "ALLOW"), kOk);
  EXPECT_EQ(outBuffer(), "true");
  EXPECT_EQ(getValue(0, "missing"), kNotFound);
  int before = vm_->malloc_calls;
  EXPECT_EQ(getValue(0, "empty"), kOk);
  EXPECT_EQ(u32At(kOutPtr), 0u) << "empty results allocate nothing";
  EXPECT_EQ(u32At(kOutLen), 0u);
  EXPECT_EQ(vm_->malloc_calls, before);
  uint32_t k = put("allow");
  EXPECT_EQ(call("proxy_get_header_map_value", {0, kBad, 1, kOutPtr, kOutLen}), kIma);
  EXPECT_EQ(call("proxy_get_header_map_value", {0, k, 5, kBad, kOutLen}), kIma);
}

TEST_F(HostCalls, MissingHeaderIsOkAndEmptyUnderAbi010) {
  init(AbiVersion::V0_1_0);
  Headers h = {{"a", "1"}};
  StreamState s;
  s.maps[0] = &h;
  s.readable[0] = s.writable[0] = true;
  enterStream(s);
  EXPECT_EQ(getValue(0, "missing"), kOk);
  EXPECT_EQ(u32At(kOutLen), 0u);
}

TEST_F(HostCalls, AddReplaceRemoveAndSizeFollowEnvoy) {
  Headers h = {{"x", "1"}, {"x", "2"}, {"y", "3"}};
  StreamState s;
  s.maps[2] = &h;
  s.readable[2] = s.writable[2] = true;
  enterStream(s);
  uint32_t X = put("X"), v9 = put("9"), Z = put("Z"), zz = put("zz"), Y = put("y");
  EXPECT_EQ(call("proxy_replace_header_map_value", {2, X, 1, v9, 1}), kOk);
  EXPECT_EQ(h, (Headers{{"x", "9"}, {"y", "3"}}));
  EXPECT_EQ(call("proxy_add_header_map_value", {2, Z, 1, zz, 2}), kOk);
  EXPECT_EQ(call("proxy_add_header_map_value", {2, Z, 1, v9, 1}), kOk);
  EXPECT_EQ(h, (Headers{{"x", "9"}, {"y", "3"}, {"z", "zz"}, {"z", "9"}}));
  EXPECT_EQ(call("proxy_get_header_map_size", {2, kOutPtr}), kOk);
  EXPECT_EQ(u32At(kOutPtr), 1u + 1 + 1 + 1 + 1 + 2 + 1 + 1) << "bytes, not entries";
  EXPECT_EQ(call("proxy_remove_header_map_value", {2, Z, 1}), kOk);
  EXPECT_EQ(call("proxy_remove_header_map_value", {2, Z, 1}), kOk) << "absent is Ok";
  EXPECT_EQ(call("proxy_replace_header_map_value", {2, Y, 1, kBad, 1}), kIma);
  EXPECT_EQ(h, (Headers{{"x", "9"}, {"y", "3"}}));
}

TEST_F(HostCalls, HeaderPairsRoundTripAndMalformedPairsClearTheMap) {
  Headers h = {{":status", "200"}, {"a", "b"}};
  StreamState s;
  s.maps[2] = &h;
  s.readable[2] = s.writable[2] = true;
  enterStream(s);
  EXPECT_EQ(call("proxy_get_header_map_pairs", {2, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), abi::encodePairs(h));
  std::string pairs = abi::encodePairs(Headers{{"New", "v"}});
  uint32_t p = put(pairs);
  EXPECT_EQ(call("proxy_set_header_map_pairs", {2, p, pairs.size()}), kOk);
  EXPECT_EQ(h, (Headers{{"new", "v"}}));
  std::string bad = pairs + "x";  // trailing bytes
  uint32_t b = put(bad);
  EXPECT_EQ(call("proxy_set_header_map_pairs", {2, b, bad.size()}), kOk);
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(call("proxy_set_header_map_pairs", {2, kBad, 8}), kIma);
}

TEST_F(HostCalls, MapsAreReadOnlyInTheLogPhaseAndMissingOnesAreNotFound) {
  Headers h = {{"a", "1"}};
  StreamState s;
  s.in_log = true;
  s.maps[0] = &h;
  s.readable[0] = true;
  enterStream(s);
  EXPECT_EQ(getValue(0, "a"), kOk);
  uint32_t k = put("b");
  EXPECT_EQ(call("proxy_add_header_map_value", {0, k, 1, k, 1}), kBadArgument);
  EXPECT_EQ(getValue(1, "a"), kNotFound);
}

TEST_F(HostCalls, HttpCallResponseMapsAreReadableOnlyInsideTheCallback) {
  HttpCallResponse r{{{":status", "200"}}, "body", {{"t", "1"}}};
  instance_->scope().call_response = &r;
  EXPECT_EQ(getValue(6, ":status"), kOk);
  EXPECT_EQ(outBuffer(), "200");
  EXPECT_EQ(getValue(7, "t"), kOk);
  uint32_t k = put("x");
  EXPECT_EQ(call("proxy_add_header_map_value", {6, k, 1, k, 1}), kBadArgument);
  EXPECT_EQ(call("proxy_get_buffer_bytes", {4, 0, 0xFFFFFFFF, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "body");
  instance_->scope().call_response = nullptr;
  EXPECT_EQ(call("proxy_get_buffer_bytes", {4, 0, 10, kOutPtr, kOutLen}), kNotFound);
}

// ------------------------------------------------------------------ buffers

TEST_F(HostCalls, BufferTypeOutOfRangeIsBadArgument) {
  uint32_t v = put("x");
  EXPECT_EQ(call("proxy_get_buffer_bytes", {9, 0, 1, kOutPtr, kOutLen}), kBadArgument);
  EXPECT_EQ(call("proxy_get_buffer_status", {9, kOutPtr, kOutLen}), kBadArgument);
  EXPECT_EQ(call("proxy_set_buffer_bytes", {9, 0, 0, v, 1}), kBadArgument);
}

TEST_F(HostCalls, ConfigurationBuffersFollowTheirWindows) {
  EXPECT_EQ(call("proxy_get_buffer_bytes", {6, 0, 0xFFFFFFFF, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "vm-config");
  EXPECT_EQ(call("proxy_get_buffer_bytes", {7, 0, 100, kOutPtr, kOutLen}), kNotFound);
  instance_->scope().plugin_config = true;
  EXPECT_EQ(call("proxy_get_buffer_bytes", {7, 7, 3, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "con");
  EXPECT_EQ(call("proxy_get_buffer_bytes", {7, 100, 3, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(u32At(kOutLen), 0u);
  EXPECT_EQ(call("proxy_get_buffer_status", {7, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(u32At(kOutPtr), 13u);
  EXPECT_EQ(u32At(kOutLen), 0u);
  uint32_t v = put("x");
  EXPECT_EQ(call("proxy_set_buffer_bytes", {7, 0, 0, v, 1}), kBadArgument) << "read-only";
  EXPECT_EQ(call("proxy_get_buffer_bytes", {2, 0, 1, kOutPtr, kOutLen}), kNotFound);
  EXPECT_EQ(call("proxy_get_buffer_bytes", {8, 0, 1, kOutPtr, kOutLen}), kNotFound);
}

TEST_F(HostCalls, BodyBufferEditsFollowEnvoySemantics) {
  std::string body = "hello world";
  StreamState s;
  s.bodies[0] = &body;
  enterStream(s);
  uint32_t v = put("HI ");
  EXPECT_EQ(call("proxy_set_buffer_bytes", {0, 0, 0, v, 3}), kOk);
  EXPECT_EQ(body, "HI hello world") << "start 0, size 0 prepends";
  EXPECT_EQ(call("proxy_set_buffer_bytes", {0, 0, 3, v, 2}), kOk);
  EXPECT_EQ(body, "HIhello world") << "drops size bytes then prepends";
  EXPECT_EQ(call("proxy_set_buffer_bytes", {0, 100, 0, v, 3}), kOk);
  EXPECT_EQ(body, "HIhello worldHI ") << "start beyond the end appends";
  EXPECT_EQ(call("proxy_set_buffer_bytes", {0, 4, 0, v, 3}), kBadArgument) << "no injection";
  EXPECT_EQ(call("proxy_set_buffer_bytes", {0, 0, 0xFFFFFFFF, v, 2}), kOk);
  EXPECT_EQ(body, "HI");
  EXPECT_EQ(call("proxy_set_buffer_bytes", {0, 0, 0, kBad, 2}), kIma);
  EXPECT_EQ(call("proxy_get_buffer_bytes", {0, 1, 0xFFFFFFFF, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "I");
  EXPECT_EQ(call("proxy_get_buffer_bytes", {1, 0, 10, kOutPtr, kOutLen}), kOk)
      << "response body outside its callback: empty";
  EXPECT_EQ(u32At(kOutLen), 0u);
  EXPECT_EQ(call("proxy_set_buffer_bytes", {1, 0, 0, v, 1}), kNotFound);
}

// ------------------------------------------------------------------ stream control

TEST_F(HostCalls, ContinueAndCloseStreamValidateTheStreamType) {
  EXPECT_EQ(call("proxy_continue_stream", {4}), kBadArgument);
  EXPECT_EQ(call("proxy_close_stream", {4}), kBadArgument);
  EXPECT_EQ(call("proxy_continue_stream", {3}), kUnimplemented);
  EXPECT_EQ(call("proxy_continue_stream", {0}), kOk) << "root context: silent no-op";
  StreamState s;
  enterStream(s);
  EXPECT_EQ(call("proxy_continue_stream", {0}), kOk);
  EXPECT_TRUE(s.continue_request);
  EXPECT_EQ(call("proxy_continue_stream", {1}), kOk);
  EXPECT_TRUE(s.continue_response);
  EXPECT_EQ(call("proxy_close_stream", {1}), kOk);
  EXPECT_TRUE(s.close_stream);
}

TEST_F(HostCalls, SendLocalResponseIsDeferredAndIgnoredOnRootContexts) {
  std::string headers = abi::encodePairs(Headers{{"X-Why", "no"}});
  uint32_t d = put("access denied"), b = put("nope"), h = put(headers);
  EXPECT_EQ(call("proxy_send_local_response", {403, d, 13, b, 4, h, headers.size(), 0xFFFFFFFF}),
            kOk);
  StreamState s;
  enterStream(s);
  EXPECT_EQ(call("proxy_send_local_response", {403, d, 13, kBad, 4, h, headers.size(), 7}), kIma);
  EXPECT_FALSE(s.pending_reply.has_value());
  EXPECT_EQ(call("proxy_send_local_response", {403, d, 13, b, 4, h, headers.size(), 7}), kOk);
  ASSERT_TRUE(s.pending_reply.has_value());
  EXPECT_EQ(s.pending_reply->status, 403u);
  EXPECT_EQ(s.pending_reply->body, "nope");
  EXPECT_EQ(s.pending_reply->headers, (Headers{{"x-why", "no"}}));
  EXPECT_EQ(s.pending_reply->grpc_status, 7u);
}

TEST_F(HostCalls, SendLocalResponseDecodesRepeatedAndChangedHeaderBuffersAlike) {
  StreamState s;
  enterStream(s);
  std::string first = abi::encodePairs(Headers{{"Content-Type", "text/plain"}, {"x-a", "1"}});
  std::string second = abi::encodePairs(Headers{{"X-B", "2"}});
  uint32_t d = put("denied"), b = put("no"), h1 = put(first), h2 = put(second);
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(call("proxy_send_local_response", {403, d, 6, b, 2, h1, first.size(), 0}), kOk);
    EXPECT_EQ(s.pending_reply->headers, (Headers{{"content-type", "text/plain"}, {"x-a", "1"}}))
        << "call " << i;
  }
  ASSERT_EQ(call("proxy_send_local_response", {401, d, 6, b, 2, h2, second.size(), 0}), kOk);
  EXPECT_EQ(s.pending_reply->headers, (Headers{{"x-b", "2"}}));
  ASSERT_EQ(call("proxy_send_local_response", {401, d, 6, b, 2, h2, 3, 0}), kOk);
  EXPECT_EQ(s.pending_reply->headers, Headers{}) << "a malformed buffer is an empty map";
  ASSERT_EQ(call("proxy_send_local_response", {403, d, 6, b, 2, h1, first.size(), 0}), kOk);
  EXPECT_EQ(s.pending_reply->headers, (Headers{{"content-type", "text/plain"}, {"x-a", "1"}}));
  s.pending_reply->headers.clear();  // the reply's map is its own
  ASSERT_EQ(call("proxy_send_local_response", {403, d, 6, b, 2, h1, first.size(), 0}), kOk);
  EXPECT_EQ(s.pending_reply->headers.size(), 2u);
}

TEST_F(HostCalls, RepeatedLocalResponsesOfInterleavedStreamsEachGetTheirOwnHeaders) {
  // The decoded headers of a repeated buffer are lent to one pending reply at a time (not
  // copied); every other reply meanwhile decodes its own.
  StreamState a, b, c;
  Context* ca = enterStream(a);
  Context* cb = enterStream(b);
  Context* cc = enterStream(c);
  std::string pairs = abi::encodePairs(Headers{{"Content-Type", "text/plain"}, {"X-A", "1"}});
  const Headers expected = {{"content-type", "text/plain"}, {"x-a", "1"}};
  uint32_t d = put("denied"), body = put("no"), h = put(pairs);
  auto send = [&](Context* ctx) {
    ASSERT_TRUE(instance_->setEffective(ctx->id));
    ASSERT_EQ(call("proxy_send_local_response", {403, d, 6, body, 2, h, pairs.size(), 0}), kOk);
  };
  send(ca);  // decoded
  send(cb);  // lent
  send(cc);  // decoded again: b holds the remembered map
  ASSERT_TRUE(a.pending_reply && b.pending_reply && c.pending_reply);
  EXPECT_EQ(a.pending_reply->headers, expected);
  EXPECT_EQ(b.pending_reply->headers, expected);
  EXPECT_EQ(c.pending_reply->headers, expected);
  EXPECT_EQ(a.pending_reply->memo_lend, 0u);
  EXPECT_NE(b.pending_reply->memo_lend, 0u);
  EXPECT_EQ(c.pending_reply->memo_lend, 0u);
  // Each map is its reply's own.
  a.pending_reply->headers[0].second = "changed-a";
  b.pending_reply->headers.clear();
  c.pending_reply->headers.emplace_back("x-c", "3");
  send(ca);
  EXPECT_EQ(a.pending_reply->headers, expected);
  EXPECT_NE(a.pending_reply->memo_lend, 0u) << "c's decode refilled the memo: lent again";
  send(cb);
  EXPECT_EQ(b.pending_reply->headers, expected);
  EXPECT_EQ(b.pending_reply->memo_lend, 0u);
  EXPECT_EQ(a.pending_reply->headers, expected);
  EXPECT_EQ(c.pending_reply->headers.size(), 3u);
}

TEST_F(HostCalls, GetStatusReportsTheLastCallStatus) {
  instance_->lastStatusCode() = 11;
  instance_->lastStatusMessage() = "reset";
  EXPECT_EQ(call("proxy_get_status", {16, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(u32At(16), 11u);
  EXPECT_EQ(outBuffer(), "reset");
  EXPECT_EQ(call("proxy_get_status", {kBad, kOutPtr, kOutLen}), kIma);
}

// ------------------------------------------------------------------ callouts

TEST_F(HostCalls, HttpCallValidatesBeforeSending) {
  std::string good =
      abi::encodePairs(Headers{{":method", "GET"}, {":path", "/"}, {":authority", "svc"}});
  std::string missing = abi::encodePairs(Headers{{":method", "GET"}, {":path", "/"}});
  uint32_t c = put("cluster"), g = put(good), m = put(missing);
  EXPECT_EQ(call("proxy_http_call", {c, 7, g, good.size(), 0, 0, 0, 0, 0x80000000u, kOutPtr}),
            kBadArgument);
  EXPECT_EQ(call("proxy_http_call", {c, 7, m, missing.size(), 0, 0, 0, 0, 100, kOutPtr}),
            kBadArgument);
  EXPECT_EQ(call("proxy_http_call", {c, 7, g, good.size(), 0, 0, 0, 0, 100, kBad}), kIma);
  EXPECT_EQ(call("proxy_http_call", {kBad, 7, g, good.size(), 0, 0, 0, 0, 100, kOutPtr}), kIma);
  EXPECT_EQ(call("proxy_http_call", {c, 7, g, good.size(), 0, 0, 0, 0, 100, kOutPtr}),
            kInternalFailure)
      << "no embedder VM to dispatch to";
}

TEST_F(HostCalls, GrpcCalloutsHaveNoClusters) {
  uint32_t s = put("svc");
  EXPECT_EQ(call("proxy_grpc_call", {s, 3, s, 3, s, 3, 0, 0, 0, 0, 100, kOutPtr}), kParseFailure);
  EXPECT_EQ(call("proxy_grpc_call", {kBad, 3, s, 3, s, 3, 0, 0, 0, 0, 100, kOutPtr}), kIma);
  EXPECT_EQ(call("proxy_grpc_stream", {s, 3, s, 3, s, 3, 0, 0, kOutPtr}), kParseFailure);
  EXPECT_EQ(call("proxy_grpc_send", {5, s, 3, 0}), kNotFound);
  EXPECT_EQ(call("proxy_grpc_cancel", {5}), kNotFound);
  EXPECT_EQ(call("proxy_grpc_close", {5}), kNotFound);
}

TEST_F(HostCalls, GrpcReceiveBufferAndMetadataAreReadableOnlyInsideTheirCallbacks) {
  EXPECT_EQ(call("proxy_get_buffer_bytes", {5, 0, 0xFFFFFFFF, kOutPtr, kOutLen}), kNotFound);
  instance_->scope().grpc_message = std::string_view("\x0a\x01x", 3);
  EXPECT_EQ(call("proxy_get_buffer_bytes", {5, 1, 2, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "\x01x");
  instance_->scope().grpc_message.reset();

  Headers metadata{{"x-initial", "1"}};
  instance_->scope().grpc_metadata = &metadata;
  instance_->scope().grpc_metadata_type = 4;
  EXPECT_EQ(getValue(4, "x-initial"), kOk);
  EXPECT_EQ(outBuffer(), "1");
  // Outside its callback a map is unavailable: BadArgument, as for every map (reference 5.3).
  EXPECT_EQ(getValue(5, "x-initial"), kBadArgument) << "trailing metadata is another callback";
  instance_->scope().grpc_metadata = nullptr;
  EXPECT_EQ(getValue(4, "x-initial"), kBadArgument);
}

TEST_F(HostCalls, GrpcEventsFollowEnvoysUnaryAndStreamRules) {
  // A unary call (token 5) ends with its message; a stream (token 6) only with its close.
  instance_->grpcCalls()[5] = false;
  instance_->grpcCalls()[6] = true;
  Headers metadata{{"k", "v"}};
  instance_->onGrpcEvent(5, GrpcEvent::InitialMetadata, &metadata, {}, 0);
  EXPECT_EQ(instance_->grpcCalls().count(5), 1u);
  instance_->onGrpcEvent(5, GrpcEvent::Message, nullptr, "reply", 0);
  EXPECT_EQ(instance_->grpcCalls().count(5), 0u);
  instance_->onGrpcEvent(6, GrpcEvent::Message, nullptr, "one", 0);
  instance_->onGrpcEvent(6, GrpcEvent::TrailingMetadata, &metadata, {}, 0);
  EXPECT_EQ(instance_->grpcCalls().count(6), 1u);
  instance_->onGrpcEvent(6, GrpcEvent::Close, nullptr, "done", 0);
  EXPECT_EQ(instance_->grpcCalls().count(6), 0u);
  EXPECT_EQ(call("proxy_grpc_send", {6, put("x"), 1, 0}), kNotFound);
  // Send on a unary call's token is BadArgument; cancel forgets the call.
  instance_->grpcCalls()[9] = false;
  EXPECT_EQ(call("proxy_grpc_send", {9, put("x"), 1, 0}), kBadArgument);
  EXPECT_EQ(call("proxy_grpc_cancel", {9}), kNotFound) << "no embedder VM";
  EXPECT_EQ(instance_->grpcCalls().count(9), 0u);
}

// ------------------------------------------------------------------ metrics

TEST_F(HostCalls, MetricIdsAndRulesFollowEnvoy) {
  uint32_t n = put("requests");
  EXPECT_EQ(call("proxy_define_metric", {3, n, 8, kOutPtr}), kBadArgument);
  EXPECT_EQ(call("proxy_define_metric", {0, kBad, 8, kOutPtr}), kIma);
  EXPECT_EQ(call("proxy_define_metric", {0, n, 8, kBad}), kIma);
  EXPECT_EQ(call("proxy_define_metric", {0, n, 8, kOutPtr}), kOk);
  uint32_t counter = u32At(kOutPtr);
  EXPECT_EQ(call("proxy_define_metric", {1, n, 8, kOutPtr}), kOk);
  uint32_t gauge = u32At(kOutPtr);
  EXPECT_EQ(call("proxy_define_metric", {2, n, 8, kOutPtr}), kOk);
  uint32_t histogram = u32At(kOutPtr);
  EXPECT_EQ(call("proxy_define_metric", {0, n, 8, kOutPtr}), kOk);
  uint32_t counter2 = u32At(kOutPtr);
  EXPECT_EQ(counter, 4u);
  EXPECT_EQ(gauge, 5u);
  EXPECT_EQ(histogram, 6u);
  EXPECT_EQ(counter2, 8u) << "same name, new id, same stat";

  EXPECT_EQ(call("proxy_increment_metric", {counter, 0}), kBadArgument);
  EXPECT_EQ(call("proxy_increment_metric", {counter, static_cast<uint64_t>(-1)}), kBadArgument);
  EXPECT_EQ(call("proxy_increment_metric", {counter, 5}), kOk);
  EXPECT_EQ(call("proxy_record_metric", {counter2, 3}), kOk) << "record adds on counters";
  EXPECT_EQ(call("proxy_get_metric", {counter, kOutPtr}), kOk);
  EXPECT_EQ(u64At(kOutPtr), 8u);
  EXPECT_EQ(call("proxy_increment_metric", {gauge, static_cast<uint64_t>(-3)}), kOk);
  EXPECT_EQ(call("proxy_get_metric", {gauge, kOutPtr}), kOk);
  EXPECT_EQ(static_cast<int64_t>(u64At(kOutPtr)), -3);
  EXPECT_EQ(call("proxy_record_metric", {gauge, 42}), kOk);
  EXPECT_EQ(call("proxy_get_metric", {gauge, kOutPtr}), kOk);
  EXPECT_EQ(u64At(kOutPtr), 42u);
  EXPECT_EQ(call("proxy_increment_metric", {histogram, 1}), kBadArgument);
  EXPECT_EQ(call("proxy_record_metric", {histogram, 7}), kOk);
  EXPECT_EQ(call("proxy_get_metric", {histogram, kOutPtr}), kBadArgument);
  EXPECT_EQ(call("proxy_get_metric", {999, kOutPtr}), kNotFound);
  EXPECT_EQ(call("proxy_increment_metric", {999, 1}), kNotFound);
  EXPECT_EQ(call("proxy_record_metric", {999, 1}), kNotFound);
  EXPECT_EQ(call("proxy_get_metric", {counter, kBad}), kIma);
  auto all = shared_.metrics();
  ASSERT_EQ(all.size(), 3u);
}

// Two VMs on two threads (two workers) count the same counter; proxy_get_metric in either
// returns the total, as Envoy's one shared counter, and so does the stats reader.
TEST_F(HostCalls, CounterIncrementsFromTwoWorkerThreadsAreAllCountedByGetMetric) {
  constexpr int kIncrements = 5000;
  uint32_t n = put("requests");
  ASSERT_EQ(call("proxy_define_metric", {0, n, 8, kOutPtr}), kOk);
  const uint32_t counter = u32At(kOutPtr);
  auto other_worker = [&] {
    auto instance = std::make_unique<WasmInstance>(plugin_, &shared_, &embedder_, nullptr);
    auto owned = std::make_unique<FakeVm>();
    FakeVm* vm = owned.get();
    instance->attach(std::move(owned));
    ASSERT_TRUE(instance->start().isOk());
    ASSERT_TRUE(instance->setEffective(1));
    auto host = [&](std::string_view name, std::vector<uint64_t> args) {
      const HostFunction* f = importTable(version_).find("env", name);
      HostCallFrame frame{*vm, instance.get(), f->data};
      uint64_t results[1] = {0};
      std::string trap;
      EXPECT_TRUE(f->callback(frame, args.data(), results, &trap)) << trap;
      return static_cast<uint32_t>(results[0]);
    };
    ASSERT_TRUE(vm->write(16, "requests"));
    ASSERT_EQ(host("proxy_define_metric", {0, 16, 8, kOutPtr}), kOk);
    const uint32_t id = *vm->readU32(kOutPtr);
    for (int i = 0; i < kIncrements; ++i) {
      ASSERT_EQ(host("proxy_increment_metric", {id, 3}), kOk);
    }
  };
  std::thread worker(other_worker);
  for (int i = 0; i < kIncrements; ++i) {
    ASSERT_EQ(call("proxy_increment_metric", {counter, 1}), kOk);
  }
  worker.join();
  EXPECT_EQ(call("proxy_get_metric", {counter, kOutPtr}), kOk);
  EXPECT_EQ(u64At(kOutPtr), uint64_t{kIncrements} * 4);
  auto all = shared_.metrics();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].name, "requests");
  EXPECT_EQ(all[0].value, int64_t{kIncrements} * 4);
}

// ------------------------------------------------------------------ shared data and queues

TEST_F(HostCalls, SharedDataCompareAndSwap) {
  uint32_t k = put("key"), v1 = put("one"), v2 = put("two");
  EXPECT_EQ(call("proxy_get_shared_data", {k, 3, kOutPtr, kOutLen, 16}), kNotFound);
  EXPECT_EQ(call("proxy_set_shared_data", {k, 3, v1, 3, 12345}), kOk) << "new keys ignore cas";
  EXPECT_EQ(call("proxy_get_shared_data", {k, 3, kOutPtr, kOutLen, 16}), kOk);
  EXPECT_EQ(outBuffer(), "one");
  uint32_t cas = u32At(16);
  EXPECT_NE(cas, 0u);
  EXPECT_EQ(call("proxy_set_shared_data", {k, 3, v2, 3, cas + 1}), kCasMismatch);
  EXPECT_EQ(call("proxy_set_shared_data", {k, 3, v2, 3, cas}), kOk);
  EXPECT_EQ(call("proxy_set_shared_data", {k, 3, v1, 3, cas}), kCasMismatch) << "cas moved on";
  EXPECT_EQ(call("proxy_set_shared_data", {k, 3, v1, 3, 0}), kOk) << "cas 0: unconditional";
  EXPECT_EQ(call("proxy_get_shared_data", {kBad, 3, kOutPtr, kOutLen, 16}), kIma);
  EXPECT_EQ(call("proxy_get_shared_data", {k, 3, kOutPtr, kOutLen, kBad}), kIma);
  EXPECT_EQ(call("proxy_set_shared_data", {k, 3, kBad, 3, 0}), kIma);
}

TEST_F(HostCalls, SharedQueues) {
  uint32_t name = put("q"), empty = put(""), vm = put("my_vm"), item = put("item");
  EXPECT_EQ(call("proxy_resolve_shared_queue", {empty, 0, name, 1, kOutPtr}), kNotFound);
  EXPECT_EQ(call("proxy_register_shared_queue", {name, 1, kOutPtr}), kOk);
  uint32_t token = u32At(kOutPtr);
  EXPECT_EQ(token, 1u);
  EXPECT_EQ(call("proxy_register_shared_queue", {name, 1, kOutPtr}), kOk);
  EXPECT_EQ(u32At(kOutPtr), token) << "re-registering keeps the token";
  EXPECT_EQ(call("proxy_resolve_shared_queue", {vm, 5, name, 1, kOutPtr}), kOk);
  EXPECT_EQ(u32At(kOutPtr), token);
  EXPECT_EQ(call("proxy_dequeue_shared_queue", {token, kOutPtr, kOutLen}), kEmpty);
  EXPECT_EQ(call("proxy_enqueue_shared_queue", {99, item, 4}), kNotFound);
  EXPECT_EQ(call("proxy_dequeue_shared_queue", {99, kOutPtr, kOutLen}), kNotFound);
  EXPECT_EQ(call("proxy_enqueue_shared_queue", {token, item, 4}), kOk);
  EXPECT_EQ(call("proxy_dequeue_shared_queue", {token, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "item");
  EXPECT_EQ(call("proxy_enqueue_shared_queue", {token, kBad, 4}), kIma);
  EXPECT_EQ(call("proxy_register_shared_queue", {name, 1, kBad}), kIma);
}

// ------------------------------------------------------------------ contexts and FFI

TEST_F(HostCalls, EffectiveContextAndDone) {
  EXPECT_EQ(call("proxy_set_effective_context", {77}), kBadArgument);
  EXPECT_EQ(call("proxy_set_effective_context", {1}), kOk);
  EXPECT_EQ(call("proxy_done", {}), kNotFound) << "root context is not pending done";
}

TEST_F(HostCalls, ForeignFunctions) {
  uint32_t unknown = put("nope"), compress = put("compress"), uncompress = put("uncompress");
  std::string text(200, 'a');
  uint32_t args = put(text.substr(0, 100));
  EXPECT_EQ(call("proxy_call_foreign_function", {unknown, 4, args, 1, kOutPtr, kOutLen}),
            kNotFound);
  EXPECT_EQ(call("proxy_call_foreign_function", {compress, 8, args, 100, kOutPtr, kOutLen}), kOk);
  std::string packed = outBuffer();
  EXPECT_LT(packed.size(), 100u);
  uint32_t p = put(packed);
  EXPECT_EQ(
      call("proxy_call_foreign_function", {uncompress, 10, p, packed.size(), kOutPtr, kOutLen}),
      kOk);
  EXPECT_EQ(outBuffer(), text.substr(0, 100));
  EXPECT_EQ(call("proxy_call_foreign_function", {uncompress, 10, args, 5, kOutPtr, kOutLen}), 3u)
      << "SerializationFailure";
  EXPECT_EQ(call("proxy_call_foreign_function", {kBad, 10, args, 5, kOutPtr, kOutLen}), kIma);
}

TEST_F(HostCalls, PthreadEqual) {
  EXPECT_EQ(call("pthread_equal", {3, 3}), 1u);
  EXPECT_EQ(call("pthread_equal", {3, 4}), 0u);
}

// ------------------------------------------------------------------ allocator, phases

TEST_F(HostCalls, AllocatorReturningZeroIsInvalidMemoryAccess) {
  vm_->malloc_returns_zero = true;
  EXPECT_EQ(call("proxy_get_buffer_bytes", {6, 0, 100, kOutPtr, kOutLen}), kIma);
}

TEST_F(HostCalls, AllocatorTrapTrapsTheHostCall) {
  vm_->malloc_traps = true;
  Outcome o = callIn("env", "proxy_get_buffer_bytes", {6, 0, 100, kOutPtr, kOutLen});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.trap, "unreachable");
}

TEST_F(HostCalls, MemoryGrowthDuringTheAllocatorIsSafe) {
  vm_->grow_on_malloc = true;
  EXPECT_EQ(call("proxy_get_buffer_bytes", {6, 0, 100, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "vm-config");
  EXPECT_GT(vm_->memory_bytes.size(), 65536u);
}

TEST_F(HostCalls, HeaderPairsAreEncodedIntoMemoryTheAllocatorJustGrew) {
  Headers h = {{":status", "200"}, {"content-type", "text/plain"}};
  StreamState s;
  s.maps[2] = &h;
  s.readable[2] = true;
  enterStream(s);
  vm_->grow_on_malloc = true;
  const size_t before = vm_->memory_bytes.size();
  EXPECT_EQ(call("proxy_get_header_map_pairs", {2, kOutPtr, kOutLen}), kOk);
  EXPECT_GT(vm_->memory_bytes.size(), before);
  EXPECT_EQ(outBuffer(), abi::encodePairs(h));
}

TEST_F(HostCalls, HeaderValueIsWrittenIntoMemoryTheAllocatorJustGrew) {
  Headers h = {{"allow", "true"}, {"x-long", std::string(300, 'v')}};
  StreamState s;
  s.maps[0] = &h;
  s.readable[0] = true;
  enterStream(s);
  vm_->grow_on_malloc = true;
  uint32_t key = put("X-Long");
  const size_t before = vm_->memory_bytes.size();
  EXPECT_EQ(call("proxy_get_header_map_value", {0, key, 6, kOutPtr, kOutLen}), kOk);
  EXPECT_GT(vm_->memory_bytes.size(), before);
  EXPECT_EQ(outBuffer(), std::string(300, 'v'));
  key = put("allow");
  EXPECT_EQ(call("proxy_get_header_map_value", {0, key, 5, kOutPtr, kOutLen}), kOk);
  EXPECT_EQ(outBuffer(), "true");
}

TEST_F(HostCalls, HeaderPairsWithAFailingAllocator) {
  Headers h = {{"a", "b"}};
  StreamState s;
  s.maps[0] = &h;
  s.readable[0] = true;
  enterStream(s);
  vm_->malloc_returns_zero = true;
  EXPECT_EQ(call("proxy_get_header_map_pairs", {0, kOutPtr, kOutLen}), kIma);
  vm_->malloc_returns_zero = false;
  vm_->malloc_traps = true;
  Outcome o = callIn("env", "proxy_get_header_map_pairs", {0, kOutPtr, kOutLen});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.trap, "unreachable");
}

TEST_F(HostCalls, RestrictedPhasesTrapOutsideTheirAllowLists) {
  uint32_t m = put("x");
  instance_->setPhase(Phase::Start);
  EXPECT_TRUE(callIn("env", "proxy_log", {2, m, 1}).ok);
  EXPECT_TRUE(callIn("wasi_snapshot_preview1", "random_get", {m, 1}).ok);
  Outcome o = callIn("env", "proxy_define_metric", {0, m, 1, kOutPtr});
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.trap, "restricted_callback");
  EXPECT_FALSE(callIn("env", "proxy_get_log_level", {kOutPtr}).ok);
  instance_->setPhase(Phase::Allocator);
  EXPECT_TRUE(callIn("env", "proxy_log", {2, m, 1}).ok);
  EXPECT_TRUE(callIn("wasi_snapshot_preview1", "clock_time_get", {0, 1, kOutPtr}).ok);
  EXPECT_FALSE(callIn("wasi_snapshot_preview1", "random_get", {m, 1}).ok);
  EXPECT_FALSE(callIn("env", "proxy_get_property", {m, 1, kOutPtr, kOutLen}).ok);
  instance_->setPhase(Phase::Normal);
  EXPECT_TRUE(callIn("env", "proxy_define_metric", {0, m, 1, kOutPtr}).ok);
}

// ------------------------------------------------------------------ WASI

TEST_F(HostCalls, FdWriteLogsOneLinePerCallAndStripsOneNewline) {
  uint32_t a = put("hello "), b = put("world\n\n");
  std::string iovs(16, '\0');
  uint32_t iov = put(iovs);
  vm_->writeU32(iov, a);
  vm_->writeU32(iov + 4, 6);
  vm_->writeU32(iov + 8, b);
  vm_->writeU32(iov + 12, 7);
  EXPECT_EQ(wasi("fd_write", {1, iov, 2, kOutPtr}), 0u);
  EXPECT_EQ(u32At(kOutPtr), 13u);
  EXPECT_EQ(wasi("fd_write", {2, iov, 1, kOutPtr}), 0u);
  ASSERT_EQ(embedder_.lines.size(), 2u);
  EXPECT_EQ(embedder_.lines[0], "info| my_root my_vm|hello world\n");
  EXPECT_EQ(embedder_.lines[1], "error| my_root my_vm|hello ");
  EXPECT_EQ(wasi("fd_write", {3, iov, 1, kOutPtr}), 8u) << "BADF";
  vm_->writeU32(iov, static_cast<uint32_t>(kBad));
  EXPECT_EQ(wasi("fd_write", {1, iov, 1, kOutPtr}), 21u) << "FAULT";
  EXPECT_EQ(wasi("fd_write", {1, kBad, 1, kOutPtr}), 21u);
}

TEST_F(HostCalls, WasiStubsAnswerLikeEnvoy) {
  EXPECT_EQ(wasi("fd_read", {0, 0, 0, kOutPtr}), 52u);
  EXPECT_EQ(wasi("fd_seek", {1, 0, 0, kOutPtr}), 0u);
  EXPECT_EQ(wasi("fd_close", {1}), 0u);
  EXPECT_EQ(wasi("fd_prestat_get", {3, kOutPtr}), 8u);
  EXPECT_EQ(wasi("fd_prestat_dir_name", {3, 0, 0}), 52u);
  EXPECT_EQ(wasi("fd_fdstat_set_flags", {1, 0}), 52u);
  EXPECT_EQ(wasi("path_open", {3, 0, 0, 0, 0, 0, 0, 0, kOutPtr}), 44u);
  EXPECT_EQ(wasi("sched_yield", {}), 0u);
  EXPECT_EQ(wasi("args_sizes_get", {kOutPtr, kOutLen}), 0u);
  EXPECT_EQ(u32At(kOutPtr), 0u);
  EXPECT_EQ(wasi("fd_fdstat_get", {1, 32}), 0u);
  EXPECT_EQ(*vm_->read(32, 1), std::string_view("\0", 1));
  EXPECT_EQ(u32At(40), 64u) << "rights_base FD_WRITE";
  EXPECT_EQ(wasi("fd_fdstat_get", {5, 32}), 8u);
  EXPECT_EQ(wasi("poll_oneoff", {0, 0, 1, kOutPtr}), 0u);
  EXPECT_EQ(u32At(kOutPtr), 0u);
  Outcome o = callIn("wasi_snapshot_preview1", "proc_exit", {3});
  EXPECT_TRUE(o.ok) << "proc_exit returns to the guest";
}

TEST_F(HostCalls, WasiClocksAndRandom) {
  EXPECT_EQ(wasi("clock_time_get", {0, 1, kOutPtr}), 0u);
  EXPECT_GT(u64At(kOutPtr), 1'700'000'000'000'000'000u);
  EXPECT_EQ(wasi("clock_time_get", {1, 1, kOutPtr}), 0u);
  EXPECT_EQ(wasi("clock_time_get", {2, 1, kOutPtr}), 58u);
  EXPECT_EQ(wasi("clock_time_get", {0, 1, kBad}), 21u);
  EXPECT_EQ(wasi("clock_res_get", {1, kOutPtr}), 0u);
  EXPECT_EQ(u64At(kOutPtr), 1u);
  EXPECT_EQ(wasi("clock_res_get", {3, kOutPtr}), 58u);
  EXPECT_EQ(wasi("random_get", {2048, 65537}), 28u);
  EXPECT_EQ(wasi("random_get", {2048, 0}), 0u);
  EXPECT_EQ(wasi("random_get", {2048, 32}), 0u);
  EXPECT_EQ(wasi("random_get", {kBad, 32}), 21u);
}

TEST_F(HostCalls, WasiEnvironmentHoldsOnlyConfiguredVariables) {
  EXPECT_EQ(wasi("environ_sizes_get", {kOutPtr, kOutLen}), 0u);
  EXPECT_EQ(u32At(kOutPtr), 2u);
  EXPECT_EQ(u32At(kOutLen), 10u);  // "A=1\0BB=22\0"
  EXPECT_EQ(wasi("environ_get", {16, 512}), 0u);
  EXPECT_EQ(u32At(16), 512u);
  EXPECT_EQ(u32At(20), 516u);
  EXPECT_EQ(*vm_->read(512, 10), std::string_view("A=1\0BB=22\0", 10));
  EXPECT_EQ(wasi("environ_get", {16, kBad}), 21u);
}

StreamState::PendingReply pendingReply(uint32_t status, Headers headers, std::string body) {
  StreamState::PendingReply p;
  p.status = status;
  p.headers = std::move(headers);
  p.body = std::move(body);
  p.details = "by the\tplugin";
  return p;
}

TEST(LocalReply, HeadersAreLowerCasedAndTheFirstContentLengthIsReplaced) {
  LocalReply r = buildLocalReply(pendingReply(401,
                                              {{"Content-Length", "99"},
                                               {"X-A", "1"},
                                               {"content-length", "7"},
                                               {"Content-Type", "text/html"}},
                                              "abc"),
                                 false);
  EXPECT_EQ(r.headers, (Headers{{":status", "401"},
                                {"content-length", "3"},
                                {"x-a", "1"},
                                {"content-length", "7"},
                                {"content-type", "text/html"}}));
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(r.details, "by_the_plugin");
  EXPECT_EQ(r.grpc_status, -1);
}

TEST(LocalReply, EmptyBodyDropsThePluginsContentHeaders) {
  LocalReply r = buildLocalReply(
      pendingReply(204, {{"Content-Type", "a"}, {"x", "y"}, {"content-length", "5"}}, ""), false);
  EXPECT_EQ(r.headers, (Headers{{":status", "204"}, {"x", "y"}}));
  EXPECT_EQ(r.body, "");
}

TEST(LocalReply, BodyGetsLengthAndPlainTextType) {
  LocalReply r = buildLocalReply(pendingReply(200, {}, "hi"), false);
  EXPECT_EQ(r.headers,
            (Headers{{":status", "200"}, {"content-length", "2"}, {"content-type", "text/plain"}}));
  LocalReply g = buildLocalReply(pendingReply(403, {{"Content-Length", "1"}}, "no"), true);
  EXPECT_EQ(g.headers, (Headers{{":status", "200"},
                                {"content-type", "application/grpc"},
                                {"grpc-status", "7"},
                                {"grpc-message", "no"}}));
}

}  // namespace
}  // namespace meshwasm::host
