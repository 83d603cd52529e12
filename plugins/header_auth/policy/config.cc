// Configuration parsing and validation (a first cut: only the empty configuration).
#include "policy_data.h"

namespace meshwasm::header_auth {

Status parseConfig(std::string_view json, PolicyData& data) {
  std::string compact;
  for (char c : json) {
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') compact.push_back(c);
  }
  if (compact == "{}") {
    data.tutorial = true;
    return Status::ok();
  }
  return Status::error("(root): configurable policies are not implemented yet");
}

}  // namespace meshwasm::header_auth
