// meshwasm manifest: render the Istio / ASM resource that deploys a plugin image.
#include <cstdio>
#include <string>

#include "commands.h"
#include "meshwasm/oci/files.h"
#include "meshwasm/oci/k8s_manifest.h"

namespace meshwasm::cli {
namespace {

namespace oci = meshwasm::oci;

constexpr const char* kUsage =
    "usage: meshwasm manifest --image REF --config FILE [options]\n"
    "  render a WasmPlugin (extensions.istio.io/v1alpha1) for the ingress gateway with the\n"
    "  plugin configuration (a JSON object) embedded as pluginConfig; YAML on stdout.\n"
    "\n"
    "options:\n"
    "  --name N               metadata.name (default header-auth)\n"
    "  --namespace NS         metadata.namespace (default istio-system)\n"
    "  --kind K               WasmPlugin (default) or TrafficExtension\n"
    "  --selector K=V         workload label to select (default istio=ingressgateway;\n"
    "                         repeatable; --selector none selects every workload)\n"
    "  --phase P              AUTHN (default), AUTHZ or STATS\n"
    "  --fail-strategy S      FAIL_CLOSE (default), FAIL_OPEN or FAIL_RELOAD\n"
    "  --pull-policy P        IfNotPresent or Always\n"
    "  --sha256 HEX           manifest digest the proxy must verify\n"
    "  --plugin-name N        pluginName (root id)\n"
    "  --image-pull-secret S  Secret holding the registry credentials\n"
    "  -o FILE                write to FILE instead of stdout\n";

}  // namespace

int manifestCommand(int argc, char** argv) {
  oci::ManifestOptions options;
  std::string configPath, output;
  bool selectorGiven = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool inlineValue = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos &&
        arg.rfind("--selector", 0) != 0) {
      value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      inlineValue = true;
    }
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!inlineValue) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "meshwasm manifest: %s\n\n%s",
                     arg.rfind("-", 0) == 0 ? ("option " + arg + " needs a value").c_str()
                                            : ("unexpected argument " + arg).c_str(),
                     kUsage);
        return 2;
      }
      value = argv[++i];
    }
    if (arg == "--image") {
      options.image = value;
    } else if (arg == "--config") {
      configPath = value;
    } else if (arg == "--name") {
      options.name = value;
    } else if (arg == "--namespace") {
      options.namespaceName = value;
    } else if (arg == "--kind") {
      if (value == "WasmPlugin") {
        options.kind = oci::ManifestKind::WasmPlugin;
      } else if (value == "TrafficExtension") {
        options.kind = oci::ManifestKind::TrafficExtension;
      } else {
        std::fprintf(stderr, "meshwasm manifest: unknown kind '%s'\n", value.c_str());
        return 2;
      }
    } else if (arg == "--selector") {
      if (!selectorGiven) options.selector.clear();
      selectorGiven = true;
      if (value == "none") continue;
      std::size_t eq = value.find('=');
      if (eq == std::string::npos) {
        std::fprintf(stderr, "meshwasm manifest: --selector wants KEY=VALUE, got '%s'\n",
                     value.c_str());
        return 2;
      }
      options.selector[value.substr(0, eq)] = value.substr(eq + 1);
    } else if (arg == "--phase") {
      options.phase = value;
    } else if (arg == "--fail-strategy") {
      options.failStrategy = value;
    } else if (arg == "--pull-policy") {
      options.pullPolicy = value;
    } else if (arg == "--sha256") {
      options.sha256 = value;
    } else if (arg == "--plugin-name") {
      options.pluginName = value;
    } else if (arg == "--image-pull-secret") {
      options.imagePullSecret = value;
    } else if (arg == "-o" || arg == "--output") {
      output = value;
    } else {
      std::fprintf(stderr, "meshwasm manifest: unknown option %s\n\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }
  if (options.image.empty() || configPath.empty()) {
    std::fprintf(stderr, "meshwasm manifest: --image and --config are required\n\n%s", kUsage);
    return 2;
  }
  auto config = oci::readFile(configPath, 1024 * 1024);
  if (!config) {
    std::fprintf(stderr, "meshwasm manifest: %s\n", config.message().c_str());
    return 1;
  }
  options.configJson = *config;
  auto yaml = oci::renderManifest(options);
  if (!yaml) {
    std::fprintf(stderr, "meshwasm manifest: %s: %s\n", configPath.c_str(), yaml.message().c_str());
    return 1;
  }
  if (output.empty()) {
    std::fputs(yaml->c_str(), stdout);
    return 0;
  }
  if (Status s = oci::writeFileAtomic(output, *yaml); !s) {
    std::fprintf(stderr, "meshwasm manifest: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}

}  // namespace meshwasm::cli
