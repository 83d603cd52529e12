// The built-in httpbin upstream: a subset of httpbin.org's endpoints, answered in process.
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "meshwasm/gateway/header_map.h"
#include "upstream.h"

namespace meshwasm::gateway {

// httpbin's /status/418 body (an ASCII-art teapot).
extern const std::string_view kTeapotBody;

struct HttpbinResponse {
  int status = 200;
  HeaderMap headers;  // without :status
  std::string body;
  std::chrono::milliseconds delay{0};
};

// Maximum /delay/{n} seconds and /bytes/{n} size (httpbin caps at the same values).
inline constexpr int kHttpbinMaxDelaySeconds = 10;
inline constexpr size_t kHttpbinMaxBytes = 100 * 1024;

// The answer for one complete request (`request` holds pseudo headers).
HttpbinResponse httpbinRespond(const HeaderMap& request, std::string_view body,
                               std::string_view origin);

std::shared_ptr<UpstreamRequest> newHttpbinRequest(boost::asio::io_context& io,
                                                   UpstreamCallbacks& callbacks,
                                                   const UpstreamContext& context);

}  // namespace meshwasm::gateway
