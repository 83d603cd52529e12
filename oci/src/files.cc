#include "meshwasm/oci/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace meshwasm::oci {
namespace {

std::string errnoText() {
  return std::strerror(errno);
}

}  // namespace

StatusOr<std::string> readFile(const std::string& path, std::size_t maxSize) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::error("cannot open " + path + ": " + errnoText());
  struct stat st {};
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::error(path + " is not a regular file");
  }
  if (S_ISREG(st.st_mode) && static_cast<std::uint64_t>(st.st_size) > maxSize) {
    ::close(fd);
    return Status::error(path + " is larger than " + std::to_string(maxSize) + " bytes");
  }
  // Read to EOF (pipes and /dev/fd work too), never more than maxSize bytes.
  std::string data;
  char buf[64 * 1024];
  while (true) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string err = errnoText();
      ::close(fd);
      return Status::error("cannot read " + path + ": " + err);
    }
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > maxSize) {
      ::close(fd);
      return Status::error(path + " is larger than " + std::to_string(maxSize) + " bytes");
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return data;
}

Status writeFileAtomic(const std::string& path, const std::string& data) {
  std::size_t slash = path.rfind('/');
  std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  std::string tmpl = dir + "/." + base + ".tmp.XXXXXX";
  std::vector<char> name(tmpl.begin(), tmpl.end());
  name.push_back('\0');
  int fd = ::mkstemp(name.data());
  if (fd < 0) return Status::error("cannot create a temporary file in " + dir + ": " + errnoText());
  std::string tmp(name.data());
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string err = errnoText();
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::error("cannot write " + path + ": " + err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) {
    std::string err = errnoText();
    ::close(fd);
    ::unlink(tmp.c_str());
    return Status::error("cannot write " + path + ": " + err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string err = errnoText();
    ::unlink(tmp.c_str());
    return Status::error("cannot rename into " + path + ": " + err);
  }
  return Status::ok();
}

Status makeDirs(const std::string& path) {
  if (path.empty()) return Status::ok();
  std::string cur;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    cur = path.substr(0, next);
    pos = next + 1;
    if (cur.empty()) continue;
    if (::mkdir(cur.c_str(), 0755) != 0 && errno != EEXIST) {
      return Status::error("cannot create directory " + cur + ": " + errnoText());
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return Status::error(path + " is not a directory");
  }
  return Status::ok();
}

}  // namespace meshwasm::oci
