// The AOT runtime under stress: threads, create/destroy cycles, concurrent compiles, tampered
// cache objects, and the "auto" engine's switch from the interpreter.
#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "meshwasm/host/engines.h"
#include "wasm2c_engine.h"
#include "wasm2c_test_util.h"

namespace meshwasm::host {
namespace {

using testing::wat;

constexpr const char* kWorker = R"((module
  (memory (export "memory") 1)
  (func (export "sum") (param i32) (result i32) (local i32)
    block loop
      local.get 0 i32.eqz br_if 1
      local.get 1 local.get 0 i32.add local.set 1
      local.get 0 i32.const 1 i32.sub local.set 0
      br 0
    end end
    local.get 1)
  (func $rec (export "recurse") (param i32) (result i32)
    local.get 0 i32.const 1 i32.add call $rec)
  (func (export "boom") unreachable)
  (func (export "grow") (param i32) (result i32) local.get 0 memory.grow)
))";

std::shared_ptr<const CompiledModule> compileOrDie(Engine& engine, std::string_view text) {
  auto module = engine.compile(wat(text));
  EXPECT_TRUE(module.isOk()) << module.message();
  return module ? *module : nullptr;
}

size_t mappedBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  statm >> pages;
  return pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

TEST(AotRuntime, CreateDestroyCyclesReleaseEverything) {
  auto engine = makeWasm2cEngine(testing::testAotOptions());
  auto module = compileOrDie(*engine, kWorker);
  ASSERT_NE(module, nullptr);
  size_t before = 0;
  for (int i = 0; i < 40'000; ++i) {
    auto vm = engine->instantiate(module, {}, nullptr);
    ASSERT_TRUE(vm.isOk()) << "cycle " << i << ": " << vm.message();
    uint64_t r[1];
    // Grow memory on some cycles so that remapped memory is released too.
    ASSERT_TRUE((*vm)->call((*vm)->findFunction("grow"), std::vector<uint64_t>{i % 4}, r).isOk());
    if (i == 1000) before = mappedBytes();
  }
  // 39,000 more cycles must not have kept address space (a leak of one 64 KiB page per cycle
  // would be 2.5 GB).
  EXPECT_LT(mappedBytes(), before + (64u << 20));
}

struct SmallStackRun {
  Vm* vm = nullptr;
  std::string message;
};

void* runOnSmallStack(void* arg) {
  auto* run = static_cast<SmallStackRun*>(arg);
  uint64_t r[1];
  run->message =
      run->vm->call(run->vm->findFunction("recurse"), std::vector<uint64_t>{0}, r).message();
  return nullptr;
}

TEST(AotRuntime, StackExhaustionOnASmallThreadStackIsATrap) {
  auto engine = makeWasm2cEngine(testing::testAotOptions());
  auto module = compileOrDie(*engine, kWorker);
  for (size_t stack : {size_t{128} << 10, size_t{1} << 20}) {
    auto vm = engine->instantiate(module, {}, nullptr);
    ASSERT_TRUE(vm.isOk()) << vm.message();
    SmallStackRun run{vm->get(), ""};
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, stack);
    pthread_t thread;
    ASSERT_EQ(pthread_create(&thread, &attr, runOnSmallStack, &run), 0);
    pthread_join(thread, nullptr);
    pthread_attr_destroy(&attr);
    EXPECT_EQ(run.message, "call stack exhausted") << "stack " << stack;
  }
}

TEST(AotRuntime, ATrapOnOneThreadDoesNotDisturbAnotherThreadsInstance) {
  auto engine = makeWasm2cEngine(testing::testAotOptions());
  auto module = compileOrDie(*engine, kWorker);
  std::atomic<bool> stop{false};
  std::atomic<int> traps{0};
  std::thread trapper([&] {
    while (!stop) {
      auto vm = engine->instantiate(module, {}, nullptr);
      if (!vm) continue;
      const bool deep = traps % 2 == 0;
      uint64_t r[1];
      Status st = deep ? (*vm)->call((*vm)->findFunction("recurse"), std::vector<uint64_t>{0}, r)
                       : (*vm)->call((*vm)->findFunction("boom"), {}, {});
      if (st.message() == (deep ? "call stack exhausted" : "unreachable")) ++traps;
    }
  });
  auto vm = engine->instantiate(module, {}, nullptr);
  ASSERT_TRUE(vm.isOk());
  const ExportFunction sum = (*vm)->findFunction("sum");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  int calls = 0;
  while (std::chrono::steady_clock::now() < deadline || traps < 20) {
    uint64_t r[1] = {0};
    Status st = (*vm)->call(sum, std::vector<uint64_t>{1000}, r);
    ASSERT_TRUE(st.isOk()) << st.message();
    ASSERT_EQ(r[0], 500500u);
    ++calls;
  }
  stop = true;
  trapper.join();
  EXPECT_GE(traps.load(), 20);
  EXPECT_GT(calls, 100);
  EXPECT_FALSE((*vm)->failed());
}

std::string freshCacheDir() {
  char tmpl[] = "/tmp/meshwasm-aot-fresh-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(AotRuntime, ConcurrentCompilesOfOneModuleFromThreadsAndProcessesAgree) {
  const std::string bytes = wat("(module (func (export \"f\") (result i32) i32.const 31337))");
  const AotOptions options{freshCacheDir() + "/cache"};
  // Two processes (forked before any thread of this test exists) and two threads at once.
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto report = compileAot(bytes, options);
      _exit(report.isOk() ? 0 : 1);
    }
    children.push_back(pid);
  }
  std::vector<StatusOr<AotCompileReport>> reports(2, Status::error("not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] { reports[i] = compileAot(bytes, options); });
  }
  for (auto& t : threads) t.join();
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  for (const auto& report : reports) {
    ASSERT_TRUE(report.isOk()) << report.message();
    EXPECT_EQ(report->object_path, reports[0]->object_path);
  }
  // No temporary directories are left behind, and the cache directory is private.
  int entries = 0;
  FILE* ls = popen(("ls -A " + options.cache_dir).c_str(), "r");
  char line[512];
  while (fgets(line, sizeof line, ls) != nullptr) {
    ++entries;
    EXPECT_EQ(std::string(line).find("tmp-"), std::string::npos) << line;
  }
  pclose(ls);
  EXPECT_EQ(entries, 1);
  struct stat st {};
  ASSERT_EQ(stat(options.cache_dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto engine = makeWasm2cEngine(options);
  auto module = engine->compile(bytes);
  ASSERT_TRUE(module.isOk()) << module.message();
  auto vm = engine->instantiate(*module, {}, nullptr);
  uint64_t r[1];
  ASSERT_TRUE((*vm)->call((*vm)->findFunction("f"), {}, r).isOk());
  EXPECT_EQ(r[0], 31337u);
}

TEST(AotRuntime, ACachedObjectWithoutBoundsChecksIsRefusedAndRebuilt) {
  const std::string bytes = wat("(module (func (export \"g\") (result i32) i32.const 4242))");
  const std::string dir = freshCacheDir();
  const AotOptions options{dir + "/cache"};
  auto first = compileAot(bytes, options);
  ASSERT_TRUE(first.isOk()) << first.message();

  // Replace the cached object with one that claims no bounds checks.
  const std::string source = dir + "/fake.c";
  std::ofstream(source) << "#include <stdint.h>\n"
                           "struct d { uint32_t magic, version, bounds, depth; } "
                           "meshwasm_aot_module_v1 = {0x6d77616fu, 1u, 0u, 1u};\n";
  const std::string cmd = "cc -shared -fPIC -o " + first->object_path + ".new " + source +
                          " && mv " + first->object_path + ".new " + first->object_path;
  ASSERT_EQ(std::system(cmd.c_str()), 0);

  auto second = compileAot(bytes, options);
  ASSERT_TRUE(second.isOk()) << second.message();
  EXPECT_FALSE(second->cache_hit);  // the bad object was evicted and rebuilt

  // A world-writable cache directory is refused.
  const std::string open_dir = dir + "/open";
  ASSERT_EQ(mkdir(open_dir.c_str(), 0777), 0);
  ASSERT_EQ(chmod(open_dir.c_str(), 0777), 0);
  auto refused = compileAot(bytes, AotOptions{open_dir});
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.message(), "AOT cache directory " + open_dir +
                                   " must be owned by this user and not writable by others");
}

TEST(AutoEngine, ServesFromTheInterpreterThenSwitchesNewVmsToAot) {
  auto interp = makeEngine("interp");
  ASSERT_TRUE(interp.isOk());
  std::vector<std::string> logs;
  std::mutex logs_mu;
  auto engine =
      makeAutoEngine(std::move(*interp), AotOptions{freshCacheDir()}, [&](std::string_view m) {
        std::lock_guard<std::mutex> lock(logs_mu);
        logs.emplace_back(m);
      });
  EXPECT_EQ(engine->name(), "auto");
  auto module = engine->compile(wat(kWorker));
  ASSERT_TRUE(module.isOk()) << module.message();
  auto first = engine->instantiate(*module, {}, nullptr);
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ((*first)->engine(), "interp");  // the compile takes far longer than this
  std::string engine_name;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline) {
    auto vm = engine->instantiate(*module, {}, nullptr);
    ASSERT_TRUE(vm.isOk());
    engine_name = std::string((*vm)->engine());
    uint64_t r[1];
    ASSERT_TRUE((*vm)->call((*vm)->findFunction("sum"), std::vector<uint64_t>{10}, r).isOk());
    EXPECT_EQ(r[0], 55u);
    if (engine_name == "aot") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(engine_name, "aot");
  // The interpreter Vm made before the switch keeps working.
  uint64_t r[1];
  ASSERT_TRUE((*first)->call((*first)->findFunction("sum"), std::vector<uint64_t>{3}, r).isOk());
  EXPECT_EQ(r[0], 6u);
  std::lock_guard<std::mutex> lock(logs_mu);
  EXPECT_TRUE(logs.empty());
}

TEST(AutoEngine, StaysOnTheInterpreterWhenWasm2cCannotCompile) {
  auto interp = makeEngine("interp");
  ASSERT_TRUE(interp.isOk());
  std::atomic<int> failures{0};
  std::string last;
  std::mutex mu;
  auto engine =
      makeAutoEngine(std::move(*interp), testing::testAotOptions(), [&](std::string_view m) {
        std::lock_guard<std::mutex> lock(mu);
        last = std::string(m);
        ++failures;
      });
  auto module = engine->compile(
      wat("(module (func $f (export \"f\") (param i32) (result i32)"
          "  local.get 0 i32.eqz if (result i32) i32.const 9 else local.get 0 i32.const 1 i32.sub"
          "  return_call $f end))"));
  ASSERT_TRUE(module.isOk()) << module.message();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (failures == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(failures.load(), 1);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(last.rfind("AOT compile failed, the plugin stays on the interpreter: Failed to load "
                         "Wasm module: wasm2c cannot compile it",
                         0),
              0u)
        << last;
  }
  auto vm = engine->instantiate(*module, {}, nullptr);
  ASSERT_TRUE(vm.isOk()) << vm.message();
  EXPECT_EQ((*vm)->engine(), "interp");
  uint64_t r[1];
  ASSERT_TRUE((*vm)->call((*vm)->findFunction("f"), std::vector<uint64_t>{100000}, r).isOk());
  EXPECT_EQ(r[0], 9u);
}

}  // namespace
}  // namespace meshwasm::host
