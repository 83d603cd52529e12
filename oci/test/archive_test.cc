#include "meshwasm/oci/archive.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "meshwasm/oci/digest.h"

namespace meshwasm::oci {
namespace {

const std::string kEmptyModule("\0asm\x01\0\0\0", 8);

TEST(Digest, Sha256OfKnownInputs) {
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256Digest("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Digest, ValidatesDigestStrings) {
  EXPECT_TRUE(isSha256Digest(sha256Digest("x")));
  EXPECT_FALSE(isSha256Digest("sha256:ABC"));
  EXPECT_FALSE(isSha256Digest("sha512:" + sha256Hex("x")));
  EXPECT_FALSE(isSha256Digest("sha256:../../etc/passwd"));
  EXPECT_FALSE(isSha256Hex(sha256Hex("x").substr(1) + "G"));
}

TEST(Tar, HeaderFieldsAreFixed) {
  auto tar = makeSingleFileTar("plugin.wasm", kEmptyModule);
  ASSERT_TRUE(tar) << tar.message();
  // one header block, one data block, two end blocks
  ASSERT_EQ(tar->size(), 4u * 512);
  const std::string& t = *tar;
  EXPECT_EQ(t.substr(0, 12), std::string("plugin.wasm\0", 12));    // name
  EXPECT_EQ(t.substr(100, 8), std::string("0000644\0", 8));        // mode
  EXPECT_EQ(t.substr(108, 8), std::string("0000000\0", 8));        // uid
  EXPECT_EQ(t.substr(116, 8), std::string("0000000\0", 8));        // gid
  EXPECT_EQ(t.substr(124, 12), std::string("00000000010\0", 12));  // size = 8
  EXPECT_EQ(t.substr(136, 12), std::string("00000000000\0", 12));  // mtime = 0
  EXPECT_EQ(t.substr(148, 8),
            std::string("011363\0 ", 8));  // checksum (Python tarfile and GNU tar agree)
  EXPECT_EQ(t[156], '0');                  // regular file
  EXPECT_EQ(t.substr(257, 8), std::string("ustar\0"
                                          "00",
                                          8));                  // magic, version
  EXPECT_EQ(t.substr(265, 64), std::string(64, '\0'));          // uname, gname
  EXPECT_EQ(t.substr(512, 8), kEmptyModule);                    // data
  EXPECT_EQ(t.substr(520), std::string(t.size() - 520, '\0'));  // padding, end
}

TEST(Tar, RoundTripsAndFindsByBaseName) {
  std::string content(1500, 'x');
  auto tar = makeSingleFileTar("dir/plugin.wasm", content);
  ASSERT_TRUE(tar);
  auto found = findFileInTar(*tar, "plugin.wasm");
  ASSERT_TRUE(found) << found.message();
  EXPECT_EQ(*found, content);
  EXPECT_EQ(findFileInTar(*tar, "other.wasm").message(),
            "tar: no file named 'other.wasm' in layer");
}

TEST(Tar, RejectsCorruptedHeaderAndTruncation) {
  auto tar = makeSingleFileTar("plugin.wasm", kEmptyModule);
  ASSERT_TRUE(tar);
  std::string bad = *tar;
  bad[0] = 'q';
  EXPECT_EQ(findFileInTar(bad, "plugin.wasm").message(), "tar: bad header checksum at offset 0");
  EXPECT_EQ(findFileInTar(tar->substr(0, 300), "plugin.wasm").message(),
            "tar: archive ends without 'plugin.wasm'");
  std::string big = *tar;
  big.replace(124, 12, std::string("77777777777\0", 12));  // size beyond the archive
  // fix the checksum so the size check is what fails
  std::uint64_t sum = 0;
  for (int i = 0; i < 512; ++i)
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(big[i]);
  char field[8];
  std::snprintf(field, sizeof(field), "%06o", static_cast<unsigned>(sum));
  big.replace(148, 7, std::string(field, 7));
  EXPECT_EQ(findFileInTar(big, "plugin.wasm").message(),
            "tar: entry runs past the end of the layer");
}

// Archives written by other tools (Python's tarfile here; Docker and GNU tar write the same
// record types): a directory, another file, then plugin.wasm under a path longer than the
// 100-byte name field, stored in a PAX `path` record or a GNU long-name entry.
TEST(Tar, ReadsPaxAndGnuLongNames) {
  for (const char* name : {"pax_long_name.tar", "gnu_long_name.tar"}) {
    std::ifstream in(std::string(MESHWASM_OCI_TEST_DATA) + "/" + name, std::ios::binary);
    std::string tar((std::istreambuf_iterator<char>(in)), {});
    ASSERT_FALSE(tar.empty()) << name;
    auto found = findFileInTar(tar, "plugin.wasm");
    ASSERT_TRUE(found) << name << ": " << found.message();
    EXPECT_EQ(*found, kEmptyModule) << name;
    auto readme = findFileInTar(tar, "README");
    ASSERT_TRUE(readme) << name;
    EXPECT_EQ(*readme, "hello");
  }
}

TEST(Tar, RefusesBadNames) {
  EXPECT_FALSE(makeSingleFileTar("", "x"));
  EXPECT_FALSE(makeSingleFileTar(std::string(100, 'a'), "x"));
}

TEST(Gzip, HeaderHasNoTimestampOrName) {
  auto gz = gzipCompress("hello");
  ASSERT_TRUE(gz);
  // magic 1f 8b, method 8 (deflate), flags 0 (no name), mtime 0, xfl 2 (level 9), OS 3 (unix)
  EXPECT_EQ(gz->substr(0, 10), std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03", 10));
}

TEST(Gzip, IsDeterministicAndRoundTrips) {
  std::string data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<char>(i * 7 % 251));
  auto a = gzipCompress(data);
  auto b = gzipCompress(data);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  auto back = gzipDecompress(*a, data.size());
  ASSERT_TRUE(back) << back.message();
  EXPECT_EQ(*back, data);
  EXPECT_EQ(gzipDecompress(*a, data.size() - 1).message(),
            "gzip: layer expands beyond 99999 bytes");
}

TEST(Gzip, RejectsCorruptAndTruncatedStreams) {
  auto gz = gzipCompress(std::string(10000, 'a'));
  ASSERT_TRUE(gz);
  EXPECT_EQ(gzipDecompress(gz->substr(0, gz->size() / 2), 1 << 20).message(),
            "gzip: truncated stream");
  std::string bad = *gz;
  bad[bad.size() - 5] ^= 0x55;  // inside the CRC32 trailer
  EXPECT_EQ(gzipDecompress(bad, 1 << 20).message(), "gzip: corrupt data (incorrect data check)");
  EXPECT_EQ(gzipDecompress("not gzip", 1 << 20).message(),
            "gzip: corrupt data (incorrect header check)");
  EXPECT_EQ(gzipDecompress(*gz + "junk", 1 << 20).message(),
            "gzip: trailing bytes after the compressed stream");
}

TEST(Wasm, MagicCheck) {
  EXPECT_TRUE(hasWasmMagic(kEmptyModule));
  EXPECT_FALSE(hasWasmMagic("\0as"));
  EXPECT_FALSE(hasWasmMagic("ELF\x7f...."));
}

}  // namespace
}  // namespace meshwasm::oci
