#include "meshwasm/oci/reference.h"

#include <gtest/gtest.h>

namespace meshwasm::oci {
namespace {

const std::string kDigest =
    "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(Reference, ParsesHostPortRepoAndTag) {
  auto ref = parseReference("oci://127.0.0.1:5000/plugins/header-auth:v1");
  ASSERT_TRUE(ref) << ref.message();
  EXPECT_EQ(ref->host, "127.0.0.1:5000");
  EXPECT_EQ(ref->repository, "plugins/header-auth");
  EXPECT_EQ(ref->tag, "v1");
  EXPECT_EQ(ref->digest, "");
  EXPECT_TRUE(ref->explicitTag);
  EXPECT_EQ(ref->manifestReference(), "v1");
  EXPECT_EQ(ref->toString(), "127.0.0.1:5000/plugins/header-auth:v1");
}

TEST(Reference, DefaultsTagToLatestAndPrefersDigest) {
  auto plain = parseReference("registry.example.com/a/b");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->tag, "latest");
  EXPECT_FALSE(plain->explicitTag);
  auto pinned = parseReference("localhost:5000/a:v2@" + kDigest);
  ASSERT_TRUE(pinned) << pinned.message();
  EXPECT_EQ(pinned->host, "localhost:5000");
  EXPECT_EQ(pinned->tag, "v2");
  EXPECT_EQ(pinned->digest, kDigest);
  EXPECT_EQ(pinned->manifestReference(), kDigest);
  EXPECT_EQ(pinned->toString(), "localhost:5000/a:v2@" + kDigest);
}

TEST(Reference, ShortNamesMeanDockerHub) {
  auto ref = parseReference("httpbin:1.0");
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->host, "docker.io");
  EXPECT_EQ(ref->repository, "library/httpbin");
  EXPECT_EQ(ref->apiHost(), "registry-1.docker.io");
}

TEST(Reference, RejectsMalformedReferences) {
  EXPECT_EQ(parseReference("127.0.0.1:5000/Upper:v1").message(),
            "invalid image reference '127.0.0.1:5000/Upper:v1': repository must be lowercase "
            "[a-z0-9._-] components separated by '/'");
  EXPECT_EQ(
      parseReference("h.io/a@sha256:abc").message(),
      "invalid image reference 'h.io/a@sha256:abc': digest must be sha256:<64 lowercase hex>");
  EXPECT_EQ(parseReference("h.io/a:-bad").message(),
            "invalid image reference 'h.io/a:-bad': bad tag '-bad'");
  EXPECT_FALSE(parseReference("h.io/a//b"));
  EXPECT_FALSE(parseReference("h.io/"));
  EXPECT_FALSE(parseReference("h.io/a/../b"));
  EXPECT_FALSE(parseReference("h.io/a..b"));
  EXPECT_FALSE(parseReference("h.io/a___b"));
  EXPECT_TRUE(parseReference("h.io/a__b.c---d_e"));
  // found by oci_reference_fuzzer: a short name that only overflows with "library/"
  EXPECT_EQ(parseReference(std::string(250, 'a')).message(),
            "invalid image reference '" + std::string(250, 'a') + "': repository name too long");
  EXPECT_FALSE(parseReference(""));
}

TEST(Reference, LoopbackHosts) {
  EXPECT_TRUE(isLoopbackHost("127.0.0.1:5000"));
  EXPECT_TRUE(isLoopbackHost("127.1.2.3"));
  EXPECT_TRUE(isLoopbackHost("localhost:80"));
  EXPECT_TRUE(isLoopbackHost("[::1]:5000"));
  EXPECT_FALSE(isLoopbackHost("127.0.0.1.evil.com"));
  EXPECT_FALSE(isLoopbackHost("10.0.0.1:5000"));
  EXPECT_FALSE(isLoopbackHost("localhost.example.com"));
  EXPECT_FALSE(isLoopbackHost("[::1]evil"));
}

TEST(AuthChallenge, ParsesBearerWithQuotedCommas) {
  auto c = parseAuthChallenge(
      R"(Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:team/plugin:pull,push")");
  ASSERT_TRUE(c) << c.message();
  EXPECT_EQ(c->scheme, "Bearer");
  EXPECT_EQ(c->realm, "https://auth.example.com/token");
  EXPECT_EQ(c->service, "registry.example.com");
  EXPECT_EQ(c->scope, "repository:team/plugin:pull,push");
}

TEST(AuthChallenge, ParsesBasicAndUnquotedValuesAndEscapes) {
  auto basic = parseAuthChallenge(R"(Basic realm="Registry Realm")");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, "Basic");
  EXPECT_EQ(basic->realm, "Registry Realm");
  auto odd = parseAuthChallenge(R"(bearer  Realm=http://h/t , service = "a\"b", scope=x)");
  ASSERT_TRUE(odd) << odd.message();
  EXPECT_EQ(odd->realm, "http://h/t");
  EXPECT_EQ(odd->service, "a\"b");
  EXPECT_EQ(odd->scope, "x");
}

TEST(AuthChallenge, RejectsMalformedChallenges) {
  EXPECT_EQ(parseAuthChallenge("").message(), "empty WWW-Authenticate challenge");
  EXPECT_EQ(parseAuthChallenge(R"(Bearer realm="unterminated)").message(),
            "unterminated quoted value in WWW-Authenticate");
  EXPECT_EQ(parseAuthChallenge("Bearer realm").message(), "malformed WWW-Authenticate parameter");
}

}  // namespace
}  // namespace meshwasm::oci
