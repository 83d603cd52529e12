#include "meshwasm/oci/archive.h"

#include <zlib.h>

#include <cstdint>
#include <cstring>

namespace meshwasm::oci {
namespace {

constexpr std::size_t kBlock = 512;

// Writes `value` as `width - 1` zero-padded octal digits and a NUL.
void putOctal(char* field, std::size_t width, std::uint64_t value) {
  field[width - 1] = '\0';
  for (std::size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
}

std::uint64_t headerChecksum(const unsigned char* header) {
  std::uint64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : header[i];
  }
  return sum;
}

// Signed-char variant: old tars computed the checksum over signed bytes.
std::int64_t headerChecksumSigned(const unsigned char* header) {
  std::int64_t sum = 0;
  for (std::size_t i = 0; i < kBlock; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<signed char>(header[i]);
  }
  return sum;
}

// Parses a numeric header field: octal digits (space/NUL padded) or GNU base-256.
bool parseNumber(const unsigned char* field, std::size_t width, std::uint64_t* out) {
  if (field[0] & 0x80) {
    std::uint64_t v = field[0] & 0x7f;
    for (std::size_t i = 1; i < width; ++i) {
      if (v >> 55) return false;
      v = (v << 8) | field[i];
    }
    *out = v;
    return true;
  }
  std::size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  std::uint64_t v = 0;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = (v << 3) | static_cast<std::uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < width; ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *out = any ? v : 0;
  return true;
}

std::string cString(const unsigned char* field, std::size_t width) {
  std::size_t n = 0;
  while (n < width && field[n] != '\0') ++n;
  return std::string(reinterpret_cast<const char*>(field), n);
}

// Finds the "path" record in a PAX extended header ("<len> path=<value>\n" records).
std::string paxPath(std::string_view records) {
  std::string path;
  while (!records.empty()) {
    std::size_t space = records.find(' ');
    if (space == std::string_view::npos || space == 0) break;
    std::size_t len = 0;
    for (std::size_t i = 0; i < space; ++i) {
      char c = records[i];
      if (c < '0' || c > '9' || len > records.size()) return path;
      len = len * 10 + static_cast<std::size_t>(c - '0');
    }
    if (len <= space + 1 || len > records.size()) break;
    std::string_view record = records.substr(space + 1, len - space - 1);
    if (!record.empty() && record.back() == '\n') record.remove_suffix(1);
    if (record.substr(0, 5) == "path=") path = std::string(record.substr(5));
    records.remove_prefix(len);
  }
  return path;
}

std::string_view baseName(std::string_view path) {
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

StatusOr<std::string> makeSingleFileTar(std::string_view name, std::string_view content) {
  if (name.empty() || name.size() >= 100) {
    return Status::error("tar: file name must be 1..99 bytes");
  }
  if (content.size() > kMaxModuleSize) {
    return Status::error("tar: file larger than " + std::to_string(kMaxModuleSize) + " bytes");
  }
  std::size_t padded = (content.size() + kBlock - 1) / kBlock * kBlock;
  std::string tar(kBlock + padded + 2 * kBlock, '\0');
  char* h = tar.data();
  std::memcpy(h + 0, name.data(), name.size());  // name[100]
  putOctal(h + 100, 8, 0644);                    // mode[8]
  putOctal(h + 108, 8, 0);                       // uid[8]
  putOctal(h + 116, 8, 0);                       // gid[8]
  putOctal(h + 124, 12, content.size());         // size[12]
  putOctal(h + 136, 12, 0);                      // mtime[12]
  h[156] = '0';                                  // typeflag: regular file
  std::memcpy(h + 257, "ustar", 6);              // magic[6] "ustar\0"
  std::memcpy(h + 263, "00", 2);                 // version[2]
  putOctal(h + 329, 8, 0);                       // devmajor[8]
  putOctal(h + 337, 8, 0);                       // devminor[8]
  std::uint64_t sum = headerChecksum(reinterpret_cast<const unsigned char*>(h));
  putOctal(h + 148, 7, sum);  // chksum[8]: six digits, NUL, space
  h[155] = ' ';
  std::memcpy(h + kBlock, content.data(), content.size());
  return tar;
}

StatusOr<std::string> findFileInTar(std::string_view tar, std::string_view wanted,
                                    std::size_t maxSize) {
  std::size_t pos = 0;
  std::string nextName;  // from a PAX or GNU long-name entry, applies to the next entry
  while (true) {
    if (pos + kBlock > tar.size()) {
      return Status::error("tar: archive ends without '" + std::string(wanted) + "'");
    }
    const auto* h = reinterpret_cast<const unsigned char*>(tar.data() + pos);
    bool zero = true;
    for (std::size_t i = 0; i < kBlock && zero; ++i) zero = h[i] == 0;
    if (zero) return Status::error("tar: no file named '" + std::string(wanted) + "' in layer");
    std::uint64_t stored = 0;
    if (!parseNumber(h + 148, 8, &stored) ||
        (stored != headerChecksum(h) &&
         static_cast<std::int64_t>(stored) != headerChecksumSigned(h))) {
      return Status::error("tar: bad header checksum at offset " + std::to_string(pos));
    }
    std::uint64_t size = 0;
    if (!parseNumber(h + 124, 12, &size)) {
      return Status::error("tar: bad size field at offset " + std::to_string(pos));
    }
    pos += kBlock;
    if (size > tar.size() - pos) return Status::error("tar: entry runs past the end of the layer");
    std::string_view data = tar.substr(pos, size);
    std::size_t advance = (size + kBlock - 1) / kBlock * kBlock;
    pos = advance > tar.size() - pos ? tar.size() : pos + advance;

    char type = static_cast<char>(h[156]);
    if (type == 'x') {
      nextName = paxPath(data);
      continue;
    }
    if (type == 'L') {
      std::size_t n = data.find('\0');
      nextName = std::string(data.substr(0, n));
      continue;
    }
    if (type == 'g') continue;
    std::string name = cString(h, 100);
    if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != 0) {
      name = cString(h + 345, 155) + "/" + name;
    }
    if (!nextName.empty()) name = std::move(nextName);
    nextName.clear();
    if ((type == '0' || type == '\0') && baseName(name) == wanted) {
      if (size > maxSize) {
        return Status::error("tar: '" + name + "' is larger than " + std::to_string(maxSize) +
                             " bytes");
      }
      return std::string(data);
    }
  }
}

StatusOr<std::string> gzipCompress(std::string_view data) {
  if (data.size() > kMaxModuleSize + 4 * kBlock) return Status::error("gzip: input too large");
  z_stream zs{};
  // windowBits 15 + 16: gzip wrapper; zlib writes mtime 0 and no name without a gz_header.
  if (deflateInit2(&zs, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::error("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Status::error("gzip: deflate failed");
  out.resize(produced);
  return out;
}

StatusOr<std::string> gzipDecompress(std::string_view data, std::size_t maxOutput) {
  if (data.size() > 0xffffffffu) return Status::error("gzip: layer too large");
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return Status::error("gzip: inflateInit2 failed");
  std::string out;
  char buf[64 * 1024];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      return Status::error(std::string("gzip: corrupt data (") + (zs.msg ? zs.msg : "inflate") +
                           ")");
    }
    std::size_t n = sizeof(buf) - zs.avail_out;
    if (out.size() + n > maxOutput) {
      inflateEnd(&zs);
      return Status::error("gzip: layer expands beyond " + std::to_string(maxOutput) + " bytes");
    }
    out.append(buf, n);
    if (rc == Z_OK && n == 0 && zs.avail_in == 0) {
      inflateEnd(&zs);
      return Status::error("gzip: truncated stream");
    }
  }
  bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
  if (trailing) return Status::error("gzip: trailing bytes after the compressed stream");
  return out;
}

bool hasWasmMagic(std::string_view data) {
  return data.size() >= 4 && data.substr(0, 4) == std::string_view("\0asm", 4);
}

}  // namespace meshwasm::oci
