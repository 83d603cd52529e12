// header_auth: the SDK glue of the header-authorization plugin.
//
// With an empty configuration (size 0 or `{}`) it is the tutorial plugin: header `allow`
// exactly `true` lets the request through; anything else (absent, empty, `false`, `TRUE`,
// ` true`, `true ` - values are compared as sent, no trimming) is answered with 403,
// `content-type: text/plain` and `Forbidden by ASM Wasm Plugin, cpp version\n`. A repeated
// `allow` header is decided by its FIRST value, as Envoy's single-value header call answers.
// Other configurations select the configurable policy of policy/; the decision is entirely
// the policy's, this file only feeds it the request and carries out the verdict.
#include <optional>
#include <string>

#include "meshwasm/abi/pairs.h"
#include "meshwasm/sdk/sdk.h"
#include "policy.h"

namespace meshwasm::header_auth {
namespace {

namespace sdk = ::meshwasm::sdk;

class HeaderAuthRoot : public sdk::RootContext {
 public:
  HeaderAuthRoot(uint32_t id, std::string_view root_id)
      : sdk::RootContext(id, root_id), policy_(Policy::tutorial()) {}

  bool onConfigure(size_t) override {
    const sdk::HostBuffer configuration = sdk::getPluginConfiguration();
    StatusOr<Policy> parsed = Policy::parse(configuration.view());
    if (!parsed) {
      std::string message("header_auth: invalid configuration: ");
      message += parsed.message();
      sdk::logError(message);
      return false;
    }
    policy_ = std::move(*parsed);
    encoded_for_ = nullptr;
    allowed_ = sdk::defineCounter(policy_.allowedCounter()).value_or(sdk::Metric());
    denied_ = sdk::defineCounter(policy_.deniedCounter()).value_or(sdk::Metric());
    dry_run_denied_ = sdk::defineCounter(policy_.dryRunDeniedCounter()).value_or(sdk::Metric());
    policy_matched_.clear();
    for (const std::string& name : policy_.policyCounters()) {
      policy_matched_.push_back(sdk::defineCounter(name).value_or(sdk::Metric()));
    }
    return true;
  }

  const Policy& policy() const { return policy_; }

  // Sends `response` as the local reply, its headers in the pairs encoding encoded once: a
  // policy answers most denials with the same response.
  void sendReply(const DenyResponse& response) const {
    if (encoded_for_ != &response) {
      encoded_headers_ = abi::encodePairs(response.headers);
      encoded_for_ = &response;
    }
    sdk::sendLocalResponseEncoded(response.status, response.details, response.body,
                                  encoded_headers_,
                                  static_cast<sdk::GrpcStatus>(response.grpc_status));
  }

  // The outcome counter of a tutorial decision (that policy has no per-policy counters).
  void countTutorial(bool allowed) const {
    const sdk::Metric& outcome = allowed ? allowed_ : denied_;
    if (outcome.defined()) outcome.increment(1);
  }

  void count(const Decision& decision) const {
    const sdk::Metric& outcome = decision.dry_run_denied             ? dry_run_denied_
                                 : decision.verdict == Verdict::Deny ? denied_
                                                                     : allowed_;
    if (outcome.defined()) outcome.increment(1);
    if (decision.policy_index >= 0 &&
        static_cast<size_t>(decision.policy_index) < policy_matched_.size()) {
      const sdk::Metric& matched = policy_matched_[static_cast<size_t>(decision.policy_index)];
      if (matched.defined()) matched.increment(1);
    }
  }

 private:
  Policy policy_;
  sdk::Metric allowed_;
  sdk::Metric denied_;
  sdk::Metric dry_run_denied_;
  std::vector<sdk::Metric> policy_matched_;
  mutable const DenyResponse* encoded_for_ = nullptr;
  mutable std::string encoded_headers_;
};

class HeaderAuthHttp : public sdk::HttpContext {
 public:
  HeaderAuthHttp(uint32_t id, sdk::RootContext* root) : sdk::HttpContext(id, root) {}

  sdk::FilterHeadersStatus onRequestHeaders(uint32_t, bool) override {
    // The host's level is asked once per request: below info (Istio's sidecars run at
    // warning) the log lines are neither built nor sent.
    const bool log_info = sdk::logEnabled(sdk::LogLevel::Info);
    if (log_info) logLine("on_http_request_headers");

    const HeaderAuthRoot& root = *rootAs<HeaderAuthRoot>();
    const Policy& policy = root.policy();
    if (policy.isTutorial()) return tutorialHeaders(root, log_info);

    const Decision decision = evaluate(policy);
    root.count(decision);

    if (decision.dry_run_denied) {
      if (log_info) logLine("dry run: policy ", decision.policy, " would deny the request");
      return sdk::FilterHeadersStatus::Continue;
    }
    if (decision.verdict == Verdict::Allow) return sdk::FilterHeadersStatus::Continue;

    if (log_info) logLine("denied by policy ", decision.policy);
    root.sendReply(*decision.response);
    // Envoy stops the request after a local reply whatever we answer; say so anyway.
    return sdk::FilterHeadersStatus::StopIteration;
  }

 private:
  // Logs "#<context id> wasm-cpp: " followed by the parts, at info.
  void logLine(std::string_view a, std::string_view b = {}, std::string_view c = {}) const {
    std::string line("#");
    line += sdk::toDecimal(id());
    line += " wasm-cpp: ";
    line += a;
    line += b;
    line += c;
    sdk::logInfo(line);
  }

  // The tutorial policy reads only the first `allow` value: exactly what the single-value call
  // answers (hosts store names in lower case), without fetching and decoding the whole map.
  // The policy's bool entry point: no Decision to build and read back on every request.
  sdk::FilterHeadersStatus tutorialHeaders(const HeaderAuthRoot& root, bool log_info) const {
    const Policy& policy = root.policy();
    bool allowed;
    {
      const std::optional<sdk::HostBuffer> allow = sdk::getRequestHeader("allow");
      const std::string_view value = allow ? allow->view() : std::string_view();
      allowed = policy.tutorialAllows(allow ? &value : nullptr);
    }
    root.countTutorial(allowed);
    if (allowed) return sdk::FilterHeadersStatus::Continue;
    if (log_info) logLine("allow header not found or is not true, deny by default");
    root.sendReply(policy.tutorialDenyResponse());
    return sdk::FilterHeadersStatus::StopIteration;
  }

  // Every header, one entry per occurrence (the pairs call), so the policy sees repeated
  // headers, and the route name.
  static Decision evaluate(const Policy& policy) {
    const sdk::HeaderMap headers = sdk::getRequestHeaderMap();
    const std::string route_name = routeName();
    return policy.evaluate(RequestView{headers.span(), route_name});
  }

  // Envoy's `xds.route_name`, or the legacy top-level `route_name`; empty when neither exists.
  static std::string routeName() {
    if (auto name = sdk::getPropertyString({"xds", "route_name"})) return std::move(*name);
    return sdk::getPropertyString({"route_name"}).value_or(std::string());
  }
};

}  // namespace
}  // namespace meshwasm::header_auth

MESHWASM_REGISTER_HTTP_PLUGIN(meshwasm::header_auth::HeaderAuthRoot,
                              meshwasm::header_auth::HeaderAuthHttp, "");
