#include "meshwasm/oci/image.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "meshwasm/oci/archive.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/media_types.h"

namespace meshwasm::oci {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kEmptyModule("\0asm\x01\0\0\0", 8);

BlobFetcher fetcherFor(const Image& image) {
  return [&image](const std::string& digest, const std::string&,
                  std::uint64_t) -> StatusOr<std::string> {
    for (const Blob& b : image.blobs) {
      if (b.digest == digest) return b.data;
    }
    return Status::error("no blob " + digest);
  };
}

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "oci_image_test.XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(Image, ManifestDigestsArePinned) {
  // The same module must give these digests on every machine and every run; a change here
  // changes every published image digest.
  std::map<ImageFormat, std::string> expected = {
      {ImageFormat::Docker,
       "sha256:23075838b8f0e7842b40f360d74b22845c70c9662dca9dc3d61a6a7f2794f714"},
      {ImageFormat::Compat,
       "sha256:6c442a47bd54f083aab1da27944ddfeef2866c2ddd257914ba548a4220b4b01a"},
      {ImageFormat::Oci, "sha256:b997d8249bec065d6eaf015a719cfc30bf059d716694ebf75ef1e78d685b6514"},
  };
  for (auto& [format, digest] : expected) {
    auto image = buildImage(kEmptyModule, format);
    ASSERT_TRUE(image) << image.message();
    EXPECT_EQ(image->manifestDigest, digest) << toString(format) << ": " << image->manifest;
  }
}

TEST(Image, BuildIsReproducible) {
  std::string module = kEmptyModule + std::string(5000, '\x0b');
  for (ImageFormat format : {ImageFormat::Docker, ImageFormat::Compat, ImageFormat::Oci}) {
    auto a = buildImage(module, format);
    auto b = buildImage(module, format);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->manifest, b->manifest);
    EXPECT_EQ(a->manifestDigest, sha256Digest(a->manifest));
  }
}

TEST(Image, DockerFormatHasSchema2MediaTypes) {
  auto image = buildImage(kEmptyModule, ImageFormat::Docker);
  ASSERT_TRUE(image);
  json m = json::parse(image->manifest);
  EXPECT_EQ(m["schemaVersion"], 2);
  EXPECT_EQ(m["mediaType"], kDockerManifest);
  EXPECT_EQ(m["config"]["mediaType"], kDockerConfig);
  ASSERT_EQ(m["layers"].size(), 1u);
  EXPECT_EQ(m["layers"][0]["mediaType"], kDockerLayerGzip);
  EXPECT_FALSE(m.contains("annotations"));
  // config diff_id is the digest of the uncompressed tar
  auto tar = makeSingleFileTar("plugin.wasm", kEmptyModule);
  json config = json::parse(image->blobs[0].data);
  EXPECT_EQ(config["rootfs"]["diff_ids"][0], sha256Digest(*tar));
  EXPECT_EQ(config["architecture"], "wasm");
  EXPECT_EQ(config["os"], "wasip1");
}

TEST(Image, CompatFormatHasOciMediaTypesAndVariantAnnotation) {
  auto image = buildImage(kEmptyModule, ImageFormat::Compat);
  ASSERT_TRUE(image);
  json m = json::parse(image->manifest);
  EXPECT_EQ(m["mediaType"], kOciManifest);
  EXPECT_EQ(m["config"]["mediaType"], kOciConfig);
  EXPECT_EQ(m["layers"][0]["mediaType"], kOciLayerGzip);
  EXPECT_EQ(m["annotations"]["module.wasm.image/variant"], "compat");
}

TEST(Image, OciArtifactHasTwoLayersWithRawModule) {
  auto image = buildImage(kEmptyModule, ImageFormat::Oci);
  ASSERT_TRUE(image);
  json m = json::parse(image->manifest);
  EXPECT_EQ(m["config"]["mediaType"], kWasmConfig);
  ASSERT_EQ(m["layers"].size(), 2u);
  EXPECT_EQ(m["layers"][0]["mediaType"], kWasmContentLayer);
  EXPECT_EQ(m["layers"][0]["digest"], sha256Digest(kEmptyModule));
  EXPECT_EQ(m["layers"][1]["mediaType"], kWasmConfig);
  EXPECT_EQ(image->blobs.size(), 2u);  // the config blob is stored once
}

TEST(Image, RefusesNonWasmInput) {
  EXPECT_EQ(buildImage("#!/bin/sh\n", ImageFormat::Docker).message(),
            "not a WebAssembly module (missing the \\0asm magic)");
}

TEST(Image, ExtractsModuleFromEveryFormat) {
  std::string module = kEmptyModule + std::string(3000, 'z');
  for (ImageFormat format : {ImageFormat::Docker, ImageFormat::Compat, ImageFormat::Oci}) {
    auto image = buildImage(module, format);
    ASSERT_TRUE(image);
    auto out = extractWasm(image->manifest, image->manifestMediaType, fetcherFor(*image));
    ASSERT_TRUE(out) << out.message();
    EXPECT_EQ(out->wasm, module);
    EXPECT_EQ(out->format, format);
  }
}

TEST(Image, RefusesSingleLayerArtifactLikeIstio) {
  auto image = buildImage(kEmptyModule, ImageFormat::Oci);
  ASSERT_TRUE(image);
  json m = json::parse(image->manifest);
  m["layers"].erase(1);
  EXPECT_EQ(extractWasm(m.dump(), "", fetcherFor(*image)).message(),
            "wasm artifact: number of layers must be 2 but got 1");
}

TEST(Image, DockerManifestDoesNotFallBackToOtherForms) {
  auto image = buildImage(kEmptyModule, ImageFormat::Compat);
  ASSERT_TRUE(image);
  json m = json::parse(image->manifest);
  m["mediaType"] = kDockerManifest;
  EXPECT_EQ(extractWasm(m.dump(), "", fetcherFor(*image)).message(),
            "docker image: last layer has media type "
            "'application/vnd.oci.image.layer.v1.tar+gzip', expected "
            "application/vnd.docker.image.rootfs.diff.tar.gzip");
}

TEST(Image, DetectsCorruptedBlobs) {
  auto image = buildImage(kEmptyModule, ImageFormat::Docker);
  ASSERT_TRUE(image);
  Image corrupt = *image;
  corrupt.blobs[1].data[12] ^= 1;
  std::string message =
      extractWasm(image->manifest, image->manifestMediaType, fetcherFor(corrupt)).message();
  EXPECT_EQ(message.rfind(
                "blob " + image->blobs[1].digest + " does not match its digest (got sha256:", 0),
            0u)
      << message;
}

TEST(Image, RefusesAModuleWithoutMagicInsideTheImage) {
  // hand-made compat image holding a shell script named plugin.wasm
  auto tar = makeSingleFileTar("plugin.wasm", "#!/bin/sh\n");
  auto gz = gzipCompress(*tar);
  Image image;
  image.blobs.push_back(Blob{kOciLayerGzip, sha256Digest(*gz), *gz});
  image.blobs.push_back(Blob{kOciConfig, sha256Digest("{}"), "{}"});
  json m = {
      {"schemaVersion", 2},
      {"config", {{"mediaType", kOciConfig}, {"digest", sha256Digest("{}")}, {"size", 2}}},
      {"layers",
       json::array(
           {{{"mediaType", kOciLayerGzip}, {"digest", sha256Digest(*gz)}, {"size", gz->size()}}})}};
  EXPECT_EQ(extractWasm(m.dump(), kOciManifest, fetcherFor(image)).message(),
            "plugin.wasm in the image is not a WebAssembly module (no \\0asm magic)");
}

TEST(Image, RefusesMalformedManifests) {
  auto none = [](const std::string&, const std::string&, std::uint64_t) -> StatusOr<std::string> {
    return Status::error("unused");
  };
  EXPECT_EQ(extractWasm("[]", "", none).message(), "manifest is not a JSON object");
  EXPECT_EQ(extractWasm("{", "", none).message(), "manifest is not a JSON object");
  EXPECT_EQ(extractWasm(R"({"config":{"mediaType":"x","digest":"sha256:1","size":1},"layers":[]})",
                        "", none)
                .message(),
            "manifest config: unsupported digest 'sha256:1'");
  EXPECT_EQ(
      extractWasm(R"({"mediaType":"application/vnd.oci.image.index.v1+json"})", "", none).message(),
      "manifest is an index (application/vnd.oci.image.index.v1+json), not an image manifest");
}

TEST(Layout, WritesAndReadsBackEveryForm) {
  for (ImageFormat format : {ImageFormat::Docker, ImageFormat::Compat, ImageFormat::Oci}) {
    TempDir dir;
    auto image = buildImage(kEmptyModule, format);
    ASSERT_TRUE(image);
    ASSERT_TRUE(writeLayout(*image, dir.path() + "/img"));
    std::ifstream layout(dir.path() + "/img/oci-layout");
    std::string text((std::istreambuf_iterator<char>(layout)), {});
    EXPECT_EQ(text, R"({"imageLayoutVersion":"1.0.0"})");
    json index = json::parse(std::ifstream(dir.path() + "/img/index.json"));
    EXPECT_EQ(index["manifests"][0]["digest"], image->manifestDigest);
    EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "latest");
    auto back = readLayout(dir.path() + "/img");
    ASSERT_TRUE(back) << back.message();
    EXPECT_EQ(back->manifest, image->manifest);
    EXPECT_EQ(back->manifestDigest, image->manifestDigest);
    EXPECT_EQ(back->blobs.size(), image->blobs.size());
  }
}

TEST(Layout, ReadDetectsTamperedBlob) {
  TempDir dir;
  auto image = buildImage(kEmptyModule, ImageFormat::Compat);
  ASSERT_TRUE(writeLayout(*image, dir.path()));
  std::string layer = dir.path() + "/blobs/sha256/" + image->blobs[1].digest.substr(7);
  std::ofstream(layer, std::ios::app) << "x";
  EXPECT_EQ(readLayout(dir.path()).message(),
            "layout blob " + image->blobs[1].digest + " does not match its digest or size");
  EXPECT_EQ(readLayout(dir.path() + "/missing").message(),
            dir.path() + "/missing is not an OCI image layout: cannot open " + dir.path() +
                "/missing/index.json: No such file or directory");
}

}  // namespace
}  // namespace meshwasm::oci
