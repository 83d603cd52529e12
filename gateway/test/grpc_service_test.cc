// The built-in upstream's gRPC service, without the transport: its methods and errors.
#include "grpc_service.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "grpc_wire.h"

namespace meshwasm::gateway {
namespace {

// UuidReply.uuid: key 0x0a, length, text.
std::string uuidOf(const std::string& reply) {
  if (reply.size() < 2 || reply[0] != '\x0a' || static_cast<size_t>(reply[1]) != reply.size() - 2) {
    return "";
  }
  return reply.substr(2);
}

bool isUuidV4(const std::string& text) {
  if (text.size() != 36 || text[14] != '4') return false;
  if (std::string("89ab").find(text[19]) == std::string::npos) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (text[i] == '-')) return false;
    if (!dash && std::string("0123456789abcdef").find(text[i]) == std::string::npos) return false;
  }
  return true;
}

TEST(HttpbinGrpcService, UuidAnswersARandomVersion4Uuid) {
  HttpbinGrpcService service;
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    const GrpcServiceReply reply = service.handle("/meshwasm.httpbin.Httpbin/Uuid", {""});
    EXPECT_EQ(reply.status, kGrpcOk);
    ASSERT_EQ(reply.messages.size(), 1u);
    const std::string uuid = uuidOf(reply.messages[0]);
    EXPECT_TRUE(isUuidV4(uuid)) << uuid;
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 50u);
}

TEST(HttpbinGrpcService, EncodesUuidReplyAsField1) {
  EXPECT_EQ(encodeUuidReply("ab"), std::string("\x0a\x02"
                                               "ab",
                                               4));
}

TEST(HttpbinGrpcService, StatusEndsWithTheRequestedStatus) {
  HttpbinGrpcService service;
  GrpcServiceReply reply =
      service.handle("/meshwasm.httpbin.Httpbin/Status", {encodeStatusRequest(7, "go away")});
  EXPECT_EQ(reply.status, 7u);
  EXPECT_EQ(reply.message, "go away");
  EXPECT_TRUE(reply.messages.empty());

  reply = service.handle("/meshwasm.httpbin.Httpbin/Status", {encodeStatusRequest(0, "")});
  EXPECT_EQ(reply.status, kGrpcOk);
  EXPECT_EQ(reply.messages, (std::vector<std::string>{""}));

  reply = service.handle("/meshwasm.httpbin.Httpbin/Status", {encodeStatusRequest(17, "")});
  EXPECT_EQ(reply.status, kGrpcInvalidArgument);
  EXPECT_EQ(reply.message, "code 17 is not a gRPC status");

  reply = service.handle("/meshwasm.httpbin.Httpbin/Status", {std::string("\x0a\x05"
                                                                          "ab",
                                                                          4)});
  EXPECT_EQ(reply.status, kGrpcInternal);
  EXPECT_EQ(reply.message, "cannot parse StatusRequest");
}

TEST(HttpbinGrpcService, EchoAnswersEveryMessageInOrder) {
  HttpbinGrpcService service;
  const GrpcServiceReply reply =
      service.handle("/meshwasm.httpbin.Httpbin/Echo", {"one", "", "three"});
  EXPECT_EQ(reply.status, kGrpcOk);
  EXPECT_EQ(reply.messages, (std::vector<std::string>{"one", "", "three"}));
}

TEST(HttpbinGrpcService, UnknownMethodsAndWrongMessageCountsFail) {
  HttpbinGrpcService service;
  GrpcServiceReply reply = service.handle("/meshwasm.httpbin.Httpbin/Nope", {""});
  EXPECT_EQ(reply.status, kGrpcUnimplemented);
  EXPECT_EQ(reply.message, "unknown method /meshwasm.httpbin.Httpbin/Nope");
  reply = service.handle("/other.Service/Uuid", {""});
  EXPECT_EQ(reply.status, kGrpcUnimplemented);
  reply = service.handle("/meshwasm.httpbin.Httpbin/Uuid", {});
  EXPECT_EQ(reply.status, kGrpcUnimplemented);
  EXPECT_EQ(reply.message, "unary method Uuid expects exactly one message, got 0");
}

}  // namespace
}  // namespace meshwasm::gateway
