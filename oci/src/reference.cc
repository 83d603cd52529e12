#include "meshwasm/oci/reference.h"

#include <cctype>

#include "meshwasm/oci/digest.h"

namespace meshwasm::oci {
namespace {

bool isLowerAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Repository path components: [a-z0-9]+ joined by '.', '_', '__' or '-'+ (the distribution
// grammar), components joined by '/'.
bool validComponent(std::string_view part) {
  std::size_t i = 0;
  while (true) {
    std::size_t run = i;
    while (i < part.size() && isLowerAlnum(part[i])) ++i;
    if (i == run) return false;  // empty alphanumeric run
    if (i == part.size()) return true;
    char sep = part[i];
    std::size_t start = i;
    while (i < part.size() && part[i] == sep) ++i;
    std::size_t n = i - start;
    bool ok = (sep == '.' && n == 1) || (sep == '_' && n <= 2) || sep == '-';
    if (!ok) return false;
  }
}

bool validRepository(std::string_view repo) {
  if (repo.empty() || repo.size() > 255) return false;
  std::size_t start = 0;
  while (start <= repo.size()) {
    std::size_t end = repo.find('/', start);
    if (end == std::string_view::npos) end = repo.size();
    if (!validComponent(repo.substr(start, end - start))) return false;
    start = end + 1;
  }
  return true;
}

bool validTag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  if (!(std::isalnum(static_cast<unsigned char>(tag[0])) || tag[0] == '_')) return false;
  for (char c : tag) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-')
      return false;
  }
  return true;
}

bool validHost(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']')
      return false;
  }
  return true;
}

}  // namespace

std::string Reference::toString() const {
  std::string out = host + "/" + repository;
  if (!tag.empty() && (digest.empty() || tag != "latest")) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string Reference::apiHost() const {
  if (host == "docker.io" || host == "index.docker.io") return "registry-1.docker.io";
  return host;
}

StatusOr<Reference> parseReference(std::string_view text) {
  std::string_view original = text;
  auto bad = [&](const std::string& why) {
    return Status::error("invalid image reference '" + std::string(original) + "': " + why);
  };
  for (std::string_view prefix : {"oci://", "docker://"}) {
    if (text.substr(0, prefix.size()) == prefix) text.remove_prefix(prefix.size());
  }
  Reference ref;
  std::size_t at = text.find('@');
  if (at != std::string_view::npos) {
    ref.digest = std::string(text.substr(at + 1));
    if (!isSha256Digest(ref.digest)) return bad("digest must be sha256:<64 lowercase hex>");
    text = text.substr(0, at);
  }
  std::size_t slash = text.find('/');
  std::string_view first =
      slash == std::string_view::npos ? std::string_view() : text.substr(0, slash);
  if (!first.empty() && (first.find('.') != std::string_view::npos ||
                         first.find(':') != std::string_view::npos || first == "localhost")) {
    ref.host = std::string(first);
    text.remove_prefix(slash + 1);
  } else {
    ref.host = "docker.io";
  }
  if (!validHost(ref.host)) return bad("bad registry host");
  std::size_t colon = text.rfind(':');
  if (colon != std::string_view::npos) {
    ref.tag = std::string(text.substr(colon + 1));
    ref.explicitTag = true;
    if (!validTag(ref.tag)) return bad("bad tag '" + ref.tag + "'");
    text = text.substr(0, colon);
  }
  if (!validRepository(text)) {
    return bad("repository must be lowercase [a-z0-9._-] components separated by '/'");
  }
  ref.repository = std::string(text);
  if (ref.host == "docker.io" && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
    if (ref.repository.size() > 255) return bad("repository name too long");
  }
  if (ref.tag.empty()) ref.tag = "latest";
  return ref;
}

bool isLoopbackHost(std::string_view host) {
  if (host.substr(0, 5) == "[::1]") return host.size() == 5 || host[5] == ':';
  if (host == "::1") return true;
  std::size_t colon = host.find(':');
  std::string_view name = host.substr(0, colon);
  if (name == "localhost") return true;
  if (name.substr(0, 4) != "127.") return false;
  int dots = 0;
  for (char c : name) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

StatusOr<AuthChallenge> parseAuthChallenge(std::string_view header) {
  auto skipSpace = [&] {
    while (!header.empty() && (header.front() == ' ' || header.front() == '\t'))
      header.remove_prefix(1);
  };
  skipSpace();
  AuthChallenge out;
  std::size_t sp = header.find_first_of(" \t");
  out.scheme = std::string(header.substr(0, sp));
  if (out.scheme.empty()) return Status::error("empty WWW-Authenticate challenge");
  header.remove_prefix(sp == std::string_view::npos ? header.size() : sp);
  while (true) {
    skipSpace();
    while (!header.empty() && header.front() == ',') {
      header.remove_prefix(1);
      skipSpace();
    }
    if (header.empty()) break;
    std::size_t eq = header.find('=');
    if (eq == std::string_view::npos) return Status::error("malformed WWW-Authenticate parameter");
    std::string key(header.substr(0, eq));
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    header.remove_prefix(eq + 1);
    skipSpace();
    std::string value;
    if (!header.empty() && header.front() == '"') {
      header.remove_prefix(1);
      bool closed = false;
      while (!header.empty()) {
        char c = header.front();
        header.remove_prefix(1);
        if (c == '\\' && !header.empty()) {
          value.push_back(header.front());
          header.remove_prefix(1);
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value.push_back(c);
        }
      }
      if (!closed) return Status::error("unterminated quoted value in WWW-Authenticate");
    } else {
      std::size_t end = header.find(',');
      value = std::string(header.substr(0, end));
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      header.remove_prefix(end == std::string_view::npos ? header.size() : end);
    }
    if (key == "realm") out.realm = value;
    if (key == "service") out.service = value;
    if (key == "scope") out.scope = value;
  }
  return out;
}

}  // namespace meshwasm::oci
