// The local reply's headers built with the memo of the last reply: a reply like the last one
// gets the same headers, any difference (status, body size, the plugin's headers, gRPC) builds
// them anew.
#include <gtest/gtest.h>

#include "http_stream_impl.h"

namespace meshwasm::host {
namespace {

StreamState::PendingReply pending(uint32_t status, Headers headers, std::string body) {
  StreamState::PendingReply p;
  p.status = status;
  p.headers = std::move(headers);
  p.body = std::move(body);
  p.details = "denied by\tpolicy";
  return p;
}

LocalReply build(StreamState::PendingReply p, LocalReplyMemo& memo, bool grpc = false) {
  LocalReply r;
  fillLocalReply(p, grpc, r, &memo);
  return r;
}

TEST(LocalReplyMemo, TheSameReplyAgainGetsTheSameHeadersBodyAndDetails) {
  LocalReplyMemo memo;
  for (int i = 0; i < 3; ++i) {
    LocalReply r = build(pending(403, {{"Content-Type", "text/plain"}}, "Forbidden\n"), memo);
    EXPECT_EQ(r.status, 403u) << i;
    EXPECT_EQ(
        r.headers,
        (Headers{{":status", "403"}, {"content-type", "text/plain"}, {"content-length", "10"}}))
        << i;
    EXPECT_EQ(r.body, "Forbidden\n") << i;
    EXPECT_EQ(r.details, "denied_by_policy") << i;
    EXPECT_GE(r.headers.capacity(), r.headers.size() + 2) << "room for date and server";
    EXPECT_TRUE(memo.valid);
  }
}

TEST(LocalReplyMemo, AnyDifferenceBuildsTheHeadersAnew) {
  LocalReplyMemo memo;
  build(pending(403, {{"X-A", "1"}}, "no"), memo);
  EXPECT_EQ(build(pending(401, {{"X-A", "1"}}, "no"), memo).headers,
            (Headers{{":status", "401"},
                     {"x-a", "1"},
                     {"content-length", "2"},
                     {"content-type", "text/plain"}}));
  EXPECT_EQ(build(pending(401, {{"X-A", "1"}}, "nope"), memo).headers,
            (Headers{{":status", "401"},
                     {"x-a", "1"},
                     {"content-length", "4"},
                     {"content-type", "text/plain"}}));
  EXPECT_EQ(build(pending(401, {{"X-A", "1"}}, ""), memo).headers,
            (Headers{{":status", "401"}, {"x-a", "1"}}));
  EXPECT_EQ(build(pending(401, {{"X-A", "2"}}, ""), memo).headers,
            (Headers{{":status", "401"}, {"x-a", "2"}}));
  EXPECT_EQ(build(pending(401, {{"x-a", "2"}, {"Content-Length", "9"}}, "abc"), memo).headers,
            (Headers{{":status", "401"},
                     {"x-a", "2"},
                     {"content-length", "3"},
                     {"content-type", "text/plain"}}));
  EXPECT_EQ(build(pending(401, {{"x-a", "2"}, {"Content-Length", "9"}}, "abc"), memo).headers,
            (Headers{{":status", "401"},
                     {"x-a", "2"},
                     {"content-length", "3"},
                     {"content-type", "text/plain"}}));
}

TEST(LocalReplyMemo, GrpcRepliesNeitherUseNorChangeIt) {
  LocalReplyMemo memo;
  build(pending(403, {}, "no"), memo);
  ASSERT_TRUE(memo.valid);
  LocalReply g = build(pending(403, {}, "no"), memo, true);
  EXPECT_EQ(g.headers, (Headers{{":status", "200"},
                                {"content-type", "application/grpc"},
                                {"grpc-status", "7"},
                                {"grpc-message", "no"}}));
  EXPECT_EQ(build(pending(403, {}, "no"), memo).headers,
            (Headers{{":status", "403"}, {"content-length", "2"}, {"content-type", "text/plain"}}));
}

TEST(LocalReplyMemo, WhitespaceInDetailsBecomesUnderscores) {
  LocalReplyMemo memo;
  StreamState::PendingReply p = pending(403, {}, "");
  p.details = "a b\tc\nd\ve\ff\rg_h";
  EXPECT_EQ(build(std::move(p), memo).details, "a_b_c_d_e_f_g_h");
}

}  // namespace
}  // namespace meshwasm::host
