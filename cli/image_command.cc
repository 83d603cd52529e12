// meshwasm image build|push|pull: Wasm plugin OCI images without a container daemon.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "commands.h"
#include "meshwasm/oci/archive.h"
#include "meshwasm/oci/digest.h"
#include "meshwasm/oci/fetch.h"
#include "meshwasm/oci/files.h"
#include "meshwasm/oci/image.h"
#include "meshwasm/oci/reference.h"
#include "meshwasm/oci/registry.h"

namespace meshwasm::cli {
namespace {

namespace oci = meshwasm::oci;

constexpr const char* kUsage =
    "usage:\n"
    "  meshwasm image build PLUGIN.wasm --format docker|compat|oci -o DIR [--tag TAG]\n"
    "      write an OCI image layout holding the module (reproducible: same input, same\n"
    "      manifest digest). docker: Docker schema 2, gzip tar layer with plugin.wasm;\n"
    "      compat: the same layer with OCI media types; oci: the two-layer Wasm artifact.\n"
    "  meshwasm image push DIR REF [auth] [--insecure]\n"
    "      push the layout in DIR to REF (HOST[:PORT]/REPO[:TAG]) over the registry API v2.\n"
    "  meshwasm image pull REF -o FILE [--sha256 HEX] [auth] [--insecure]\n"
    "      pull REF and write its plugin.wasm to FILE (atomically). --sha256 is compared with\n"
    "      the manifest digest, as Istio does for oci:// URLs.\n"
    "\n"
    "auth: --username U --password P, or MESHWASM_REGISTRY_USERNAME / _PASSWORD; anonymous\n"
    "otherwise. Basic and Bearer-token challenges are answered. Plain http is used for\n"
    "loopback registries only, or for any host with --insecure.\n";

struct Args {
  std::vector<std::string> positional;
  std::string format, output, tag = "latest", username, password, sha256;
  bool insecure = false;
  bool help = false;
};

bool parseArgs(int argc, char** argv, Args* args, std::string* error) {
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool inlineValue = false;
    if (arg.rfind("--", 0) == 0) {
      std::size_t eq = arg.find('=');
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        inlineValue = true;
      }
    }
    auto take = [&](std::string* out) {
      if (inlineValue) {
        *out = value;
        return true;
      }
      if (i + 1 >= argc) {
        *error = "option " + arg + " needs a value";
        return false;
      }
      *out = argv[++i];
      return true;
    };
    if (arg == "-h" || arg == "--help") {
      args->help = true;
    } else if (arg == "--format") {
      if (!take(&args->format)) return false;
    } else if (arg == "-o" || arg == "--output") {
      if (!take(&args->output)) return false;
    } else if (arg == "--tag") {
      if (!take(&args->tag)) return false;
    } else if (arg == "--username" || arg == "-u") {
      if (!take(&args->username)) return false;
    } else if (arg == "--password" || arg == "-p") {
      if (!take(&args->password)) return false;
    } else if (arg == "--sha256") {
      if (!take(&args->sha256)) return false;
    } else if (arg == "--insecure") {
      args->insecure = true;
    } else if (arg.size() > 1 && arg[0] == '-') {
      *error = "unknown option " + arg;
      return false;
    } else {
      args->positional.push_back(arg);
    }
  }
  return true;
}

oci::RegistryOptions registryOptions(const Args& args) {
  oci::RegistryOptions options;
  options.credentials = oci::credentialsFromEnvironment();
  if (!args.username.empty()) options.credentials.username = args.username;
  if (!args.password.empty()) options.credentials.password = args.password;
  options.insecure = args.insecure;
  return options;
}

int fail(const std::string& verb, const std::string& message) {
  std::fprintf(stderr, "meshwasm image %s: %s\n", verb.c_str(), message.c_str());
  return 1;
}

int build(const Args& args) {
  if (args.positional.size() != 1 || args.output.empty() || args.format.empty()) {
    return fail("build", "expected PLUGIN.wasm, --format and -o DIR (see --help)");
  }
  auto format = oci::parseImageFormat(args.format);
  if (!format) return fail("build", format.message());
  const std::string& input = args.positional[0];
  auto wasm = oci::readFile(input, oci::kMaxModuleSize);
  if (!wasm) return fail("build", wasm.message());
  if (!oci::hasWasmMagic(*wasm)) {
    return fail("build", input + " is not a WebAssembly module (missing the \\0asm magic)");
  }
  auto image = oci::buildImage(*wasm, *format);
  if (!image) return fail("build", image.message());
  if (Status s = oci::writeLayout(*image, args.output, args.tag); !s)
    return fail("build", s.message());
  std::printf("built %s: %s image, manifest %s, module sha256:%s (%zu bytes)\n",
              args.output.c_str(), oci::toString(*format), image->manifestDigest.c_str(),
              oci::sha256Hex(*wasm).c_str(), wasm->size());
  return 0;
}

int push(const Args& args) {
  if (args.positional.size() != 2) return fail("push", "expected DIR and REF (see --help)");
  auto image = oci::readLayout(args.positional[0]);
  if (!image) return fail("push", image.message());
  auto ref = oci::parseReference(args.positional[1]);
  if (!ref) return fail("push", ref.message());
  oci::RegistryClient client(*ref, registryOptions(args));
  auto digest = client.push(*image);
  if (!digest) return fail("push", digest.message());
  std::printf("pushed %s: %s\n", ref->toString().c_str(), digest->c_str());
  return 0;
}

int pull(const Args& args) {
  if (args.positional.size() != 1 || args.output.empty()) {
    return fail("pull", "expected REF and -o FILE (see --help)");
  }
  auto ref = oci::parseReference(args.positional[0]);
  if (!ref) return fail("pull", ref.message());
  std::string expected = args.sha256;
  if (expected.rfind("sha256:", 0) == 0) expected = expected.substr(7);
  if (!expected.empty() && !oci::isSha256Hex(expected)) {
    return fail("pull", "--sha256 must be 64 lowercase hex characters");
  }
  auto pulled = oci::pullModule(*ref, registryOptions(args));
  if (!pulled) return fail("pull", pulled.message());
  if (!expected.empty() && pulled->manifestDigest != "sha256:" + expected) {
    return fail("pull", ref->toString() + ": manifest digest " + pulled->manifestDigest +
                            " does not match --sha256 " + expected);
  }
  if (Status s = oci::writeFileAtomic(args.output, pulled->wasm); !s)
    return fail("pull", s.message());
  std::printf("pulled %s: %s image, manifest %s -> %s: module sha256:%s (%zu bytes)\n",
              ref->toString().c_str(), oci::toString(pulled->format),
              pulled->manifestDigest.c_str(), args.output.c_str(),
              oci::sha256Hex(pulled->wasm).c_str(), pulled->wasm.size());
  return 0;
}

}  // namespace

int imageCommand(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 2;
  }
  std::string verb = argv[1];
  if (verb == "-h" || verb == "--help" || verb == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  Args args;
  std::string error;
  if (!parseArgs(argc, argv, &args, &error)) {
    std::fprintf(stderr, "meshwasm image %s: %s\n", verb.c_str(), error.c_str());
    return 2;
  }
  if (args.help) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (verb == "build") return build(args);
  if (verb == "push") return push(args);
  if (verb == "pull") return pull(args);
  std::fprintf(stderr, "meshwasm image: unknown verb '%s'\n\n%s", verb.c_str(), kUsage);
  return 2;
}

}  // namespace meshwasm::cli
