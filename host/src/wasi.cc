// The WASI preview-1 subset Envoy's host provides (reference 1.8), under both module names.
#include <sys/random.h>

#include <chrono>
#include <string>

#include "host_call_util.h"

namespace meshwasm::host {

namespace {

// WASI errno values.
constexpr uint32_t kSuccess = 0, kBadf = 8, kFault = 21, kInval = 28, kNoent = 44, kNosys = 52,
                   kNotsup = 58;

uint32_t fdWrite(WasmInstance& w, const uint64_t* a) {
  uint32_t fd = u32(a[0]);
  if (fd != 1 && fd != 2) return kBadf;
  std::string text;
  uint32_t iovs = u32(a[1]);
  uint32_t count = u32(a[2]);
  for (uint32_t i = 0; i < count; ++i) {
    uint64_t at = uint64_t{iovs} + uint64_t{i} * 8;
    if (at + 8 > UINT32_MAX) return kFault;
    auto ptr = w.vm().readU32(static_cast<uint32_t>(at));
    auto len = w.vm().readU32(static_cast<uint32_t>(at + 4));
    if (!ptr || !len) return kFault;
    auto bytes = w.vm().read(*ptr, *len);
    if (!bytes) return kFault;
    text.append(*bytes);
  }
  if (!w.vm().writeU32(u32(a[3]), static_cast<uint32_t>(text.size()))) return kFault;
  if (!text.empty() && text.back() == '\n') text.pop_back();
  w.guestLog(fd == 1 ? abi::LogLevel::Info : abi::LogLevel::Error, text);
  return kSuccess;
}

uint32_t nosys(WasmInstance&, const uint64_t*) {
  return kNosys;
}
uint32_t badf(WasmInstance&, const uint64_t*) {
  return kBadf;
}
uint32_t notsup(WasmInstance&, const uint64_t*) {
  return kNotsup;
}
uint32_t noent(WasmInstance&, const uint64_t*) {
  return kNoent;
}
uint32_t success(WasmInstance&, const uint64_t*) {
  return kSuccess;
}

uint32_t fdSeek(WasmInstance& w, const uint64_t*) {
  w.hostLog(abi::LogLevel::Error, "WASI fd_seek is not supported");
  return kSuccess;
}

uint32_t fdClose(WasmInstance& w, const uint64_t*) {
  w.hostLog(abi::LogLevel::Error, "WASI fd_close is not supported");
  return kSuccess;
}

uint32_t fdFdstatGet(WasmInstance& w, const uint64_t* a) {
  uint32_t fd = u32(a[0]);
  if (fd != 1 && fd != 2) return kBadf;
  // filetype u8, pad, flags u16, pad, rights_base u64 (FD_WRITE = 64), inheriting u64.
  std::string stat(24, '\0');
  stat[8] = 64;
  if (!w.vm().write(u32(a[1]), stat)) return kFault;
  return kSuccess;
}

std::string environmentBlock(const PluginConfig& cfg, uint32_t* count) {
  std::string block;
  *count = 0;
  for (const auto& [k, v] : cfg.environment_variables) {
    block += k;
    block += '=';
    block += v;
    block += '\0';
    ++*count;
  }
  return block;
}

uint32_t environSizesGet(WasmInstance& w, const uint64_t* a) {
  uint32_t count = 0;
  std::string block = environmentBlock(w.config(), &count);
  if (!w.vm().writeU32(u32(a[0]), count) ||
      !w.vm().writeU32(u32(a[1]), static_cast<uint32_t>(block.size()))) {
    return kFault;
  }
  return kSuccess;
}

uint32_t environGet(WasmInstance& w, const uint64_t* a) {
  uint32_t count = 0;
  std::string block = environmentBlock(w.config(), &count);
  uint32_t ptrs = u32(a[0]);
  uint32_t buf = u32(a[1]);
  if (!w.vm().write(buf, block)) return kFault;
  uint32_t offset = 0;
  for (uint32_t i = 0; i < count; ++i) {
    if (!w.vm().writeU32(ptrs + i * 4, buf + offset)) return kFault;
    offset += static_cast<uint32_t>(std::char_traits<char>::length(block.data() + offset)) + 1;
  }
  return kSuccess;
}

uint32_t argsSizesGet(WasmInstance& w, const uint64_t* a) {
  if (!w.vm().writeU32(u32(a[0]), 0) || !w.vm().writeU32(u32(a[1]), 0)) return kFault;
  return kSuccess;
}

uint32_t clockTimeGet(WasmInstance& w, const uint64_t* a) {
  uint64_t ns = 0;
  switch (u32(a[0])) {
    case 0:
      ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::system_clock::now().time_since_epoch())
               .count();
      break;
    case 1:
      ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
               .count();
      break;
    default: return kNotsup;
  }
  if (!w.vm().writeU64(u32(a[2]), ns)) return kFault;
  return kSuccess;
}

uint32_t clockResGet(WasmInstance& w, const uint64_t* a) {
  if (u32(a[0]) > 1) return kNotsup;
  if (!w.vm().writeU64(u32(a[1]), 1)) return kFault;
  return kSuccess;
}

uint32_t randomGet(WasmInstance& w, const uint64_t* a) {
  uint32_t len = u32(a[1]);
  if (len > abi::kMaxRandomBytes) return kInval;
  if (len == 0) return kSuccess;
  if (!w.vm().read(u32(a[0]), len)) return kFault;
  std::string bytes(len, '\0');
  size_t got = 0;
  while (got < len) {
    ssize_t n = getrandom(bytes.data() + got, len - got, 0);
    if (n <= 0) return kInval;
    got += static_cast<size_t>(n);
  }
  if (!w.vm().write(u32(a[0]), bytes)) return kFault;
  return kSuccess;
}

uint32_t pollOneoff(WasmInstance& w, const uint64_t* a) {
  if (!w.vm().writeU32(u32(a[3]), 0)) return kFault;
  return kSuccess;
}

uint32_t procExit(WasmInstance& w, const uint64_t* a) {
  w.hostLog(abi::LogLevel::Error,
            "WASI proc_exit(" + std::to_string(u32(a[0])) + ") called: the VM keeps running");
  return 0;
}

}  // namespace

void addWasiFunctions(ImportTable& t, std::string_view module) {
  constexpr uintptr_t kStart = kAllowedInStart;
  constexpr uintptr_t kBoth = kAllowedInStart | kAllowedInAllocator;
  auto add = [&](std::string_view name, std::string_view params, HostCallback cb, uintptr_t flags) {
    addHostFunction(t, module, name, params, "I", cb, flags);
  };
  add("fd_write", "IIII", hostCall<fdWrite>, kBoth);
  add("fd_read", "IIII", hostCall<nosys>, kStart);
  add("fd_seek", "ILII", hostCall<fdSeek>, kStart);
  add("fd_close", "I", hostCall<fdClose>, kStart);
  add("fd_fdstat_get", "II", hostCall<fdFdstatGet>, kStart);
  add("fd_fdstat_set_flags", "II", hostCall<nosys>, kStart);
  add("fd_prestat_get", "II", hostCall<badf>, kStart);
  add("fd_prestat_dir_name", "III", hostCall<nosys>, kStart);
  add("fd_filestat_get", "II", hostCall<badf>, kStart);
  add("path_filestat_get", "IIIII", hostCall<notsup>, kStart);
  add("path_open", "IIIIILLII", hostCall<noent>, kStart);
  add("environ_sizes_get", "II", hostCall<environSizesGet>, kStart);
  add("environ_get", "II", hostCall<environGet>, kStart);
  add("args_sizes_get", "II", hostCall<argsSizesGet>, kStart);
  add("args_get", "II", hostCall<success>, kStart);
  add("clock_time_get", "ILI", hostCall<clockTimeGet>, kBoth);
  add("clock_res_get", "II", hostCall<clockResGet>, kStart);
  add("random_get", "II", hostCall<randomGet>, kStart);
  add("sched_yield", "", hostCall<success>, kStart);
  add("poll_oneoff", "IIII", hostCall<pollOneoff>, kBoth);
  addHostFunction(t, module, "proc_exit", "I", "", hostCall<procExit, true>, kStart);
}

}  // namespace meshwasm::host
