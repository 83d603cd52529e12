// Image references (HOST[:PORT]/REPO[:TAG][@sha256:HEX], optionally prefixed oci://) and
// WWW-Authenticate challenges.
#pragma once

#include <string>
#include <string_view>

#include "meshwasm/abi/status.h"

namespace meshwasm::oci {

struct Reference {
  std::string host;          // registry host, with port when given ("127.0.0.1:5000")
  std::string repository;    // "team/plugin"
  std::string tag;           // "v1"; "latest" when neither tag nor digest is given
  std::string digest;        // "sha256:..." or empty
  bool explicitTag = false;  // the text named a tag (else tag is the default "latest")

  // The tag-or-digest used in /v2/<repo>/manifests/<reference>: the digest when present.
  const std::string& manifestReference() const { return digest.empty() ? tag : digest; }
  // HOST/REPO[:TAG][@DIGEST]
  std::string toString() const;
  // The host the HTTP API lives on (docker.io is served by registry-1.docker.io).
  std::string apiHost() const;
};

// Accepts an optional "oci://" or "docker://" prefix. A first path component without '.',
// ':' and other than "localhost" is not a host: the reference then names Docker Hub.
StatusOr<Reference> parseReference(std::string_view text);

// localhost, 127.0.0.0/8 and ::1, with or without a port.
bool isLoopbackHost(std::string_view hostAndPort);

struct AuthChallenge {
  std::string scheme;  // "Basic" or "Bearer" (as sent)
  std::string realm;
  std::string service;
  std::string scope;
};

// Parses a WWW-Authenticate value such as
//   Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull,push"
// (quoted values may contain commas and backslash escapes).
StatusOr<AuthChallenge> parseAuthChallenge(std::string_view header);

}  // namespace meshwasm::oci
