#!/usr/bin/python3
"""Validate Istio WasmPlugin / TrafficExtension manifests against the CRD schemas, and Envoy
bootstrap files (static_resources) against the shape meshwasm's deploy/envoy uses.

usage: validate_manifests.py [--crd-dir DIR] FILE... ('-' reads stdin)

The schemas are the OpenAPI v3 `spec.versions[].schema.openAPIV3Schema` of every CRD file in
DIR (default: $MESHWASM_ISTIO_CRD_DIR, else <repo>/../shared/data/istio). They are turned
into JSON Schema for python3-jsonschema the way the API server reads them:
  - objects with `properties` reject unknown fields (kubectl's strict field validation),
    unless `x-kubernetes-preserve-unknown-fields: true`;
  - `nullable: true` also admits null; `format: int32` bounds integers;
  - `x-kubernetes-validations` (CEL) rules are checked by a Python equivalent of each rule
    these CRDs use; an unknown rule is an error, so a schema update cannot be skipped silently.
apiVersion must be one the CRD serves, kind the CRD's kind, metadata.name a DNS subdomain.
Documents of other kinds get basic checks only (apiVersion, kind, metadata.name) and are
reported as such. Exit status 1 when any document fails.
"""
import glob
import json
import os
import re
import sys

import jsonschema
import yaml

DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"


def default_crd_dir():
    env = os.environ.get("MESHWASM_ISTIO_CRD_DIR")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(os.path.dirname(repo), "shared", "data", "istio")


def to_json_schema(node):
    """OpenAPI v3 (structural, with x-kubernetes-* extensions) -> JSON Schema draft 7."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key in ("description", "nullable", "format"):
            continue
        if key in ("properties",):
            out[key] = {k: to_json_schema(v) for k, v in value.items()}
        elif key == "additionalProperties" and isinstance(value, dict):
            out[key] = to_json_schema(value)
        else:
            out[key] = to_json_schema(value)
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    if node.get("format") == "int32":
        out["minimum"] = max(out.get("minimum", -2**31), -2**31)
        out["maximum"] = min(out.get("maximum", 2**31 - 1), 2**31 - 1)
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        out["additionalProperties"] = False
    return out


# CEL rules of the Istio CRDs, by rule text, as Python predicates over the value.
def _has(obj, key):
    return isinstance(obj, dict) and key in obj


def _url_ok(value):
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", value)
    scheme = match.group(1).lower() if match else ""
    return scheme in ("", "http", "https", "oci", "file")


CEL_RULES = {
    '!self.contains("*")': lambda v: "*" not in v,
    'self.all(key, !key.contains("*"))': lambda v: all("*" not in k for k in v),
    "self.all(key, key.size() != 0)": lambda v: all(len(k) != 0 for k in v),
    "self.size() == 0": lambda v: len(v) == 0,
    "(has(self.selector) ? 1 : 0) + (has(self.targetRef) ? 1 : 0)\n+ (has(self.targetRefs) ? 1 : 0) <= 1":
        lambda v: sum(_has(v, k) for k in ("selector", "targetRef", "targetRefs")) <= 1,
    "(has(self.selector) ? 1 : 0) + (has(self.targetRefs) ? 1 : 0) <= 1":
        lambda v: sum(_has(v, k) for k in ("selector", "targetRefs")) <= 1,
    "has(self.wasm) != has(self.lua)": lambda v: _has(v, "wasm") != _has(v, "lua"),
    '(has(self.valueFrom) ? self.valueFrom : "") != "HOST"\n|| !has(self.value)':
        lambda v: v.get("valueFrom", "") != "HOST" or "value" not in v,
}


def normalize_rule(rule):
    return " ".join(rule.split())


CEL = {normalize_rule(k): f for k, f in CEL_RULES.items()}


def cel_check(schema, value, path, errors):
    if not isinstance(schema, dict):
        return
    for validation in schema.get("x-kubernetes-validations", []):
        rule = validation.get("rule", "")
        message = validation.get("message", rule)
        if "isURL(self)" in rule:
            ok = isinstance(value, str) and _url_ok(value)
        else:
            check = CEL.get(normalize_rule(rule))
            if check is None:
                errors.append(f"{path}: unsupported CEL rule in the schema: {rule!r}")
                continue
            try:
                ok = check(value)
            except (TypeError, AttributeError):
                ok = False
        if not ok:
            errors.append(f"{path}: {message}")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key, sub in value.items():
            if key in props:
                cel_check(props[key], sub, f"{path}.{key}", errors)
            elif isinstance(schema.get("additionalProperties"), dict):
                cel_check(schema["additionalProperties"], sub, f"{path}.{key}", errors)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            cel_check(schema["items"], item, f"{path}[{i}]", errors)


def load_crds(crd_dir):
    kinds = {}
    files = sorted(glob.glob(os.path.join(crd_dir, "*.yaml")))
    if not files:
        sys.exit(f"validate_manifests: no CRD files in {crd_dir}")
    for path in files:
        with open(path) as f:
            for doc in yaml.safe_load_all(f):
                if not doc or doc.get("kind") != "CustomResourceDefinition":
                    continue
                group = doc["spec"]["group"]
                kind = doc["spec"]["names"]["kind"]
                for version in doc["spec"]["versions"]:
                    if not version.get("served", False):
                        continue
                    api = f"{group}/{version['name']}"
                    kinds[(api, kind)] = version["schema"]["openAPIV3Schema"]
    return kinds


def envoy_errors(doc):
    """Checks an Envoy bootstrap loading a Wasm HTTP filter (deploy/envoy)."""
    errors = []
    static = doc.get("static_resources", {})
    clusters = {c.get("name") for c in static.get("clusters", []) if isinstance(c, dict)}
    found_wasm = False
    for li, listener in enumerate(static.get("listeners", [])):
        for fi, chain in enumerate(listener.get("filter_chains", [])):
            for ni, nf in enumerate(chain.get("filters", [])):
                where = f"listeners[{li}].filter_chains[{fi}].filters[{ni}]"
                tc = nf.get("typed_config", {})
                if nf.get("name") != "envoy.filters.network.http_connection_manager":
                    continue
                filters = tc.get("http_filters", [])
                if not filters or filters[-1].get("name") != "envoy.filters.http.router":
                    errors.append(f"{where}: the last http filter must be envoy.filters.http.router")
                for hi, hf in enumerate(filters):
                    if hf.get("name") != "envoy.filters.http.wasm":
                        continue
                    found_wasm = True
                    hwhere = f"{where}.http_filters[{hi}]"
                    cfg = hf.get("typed_config", {})
                    if cfg.get("@type") != "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm":
                        errors.append(f"{hwhere}: typed_config @type must be the Wasm v3 filter")
                    vm = cfg.get("config", {}).get("vm_config", {})
                    if vm.get("runtime") not in ("envoy.wasm.runtime.v8", "envoy.wasm.runtime.wamr",
                                                 "envoy.wasm.runtime.wasmtime",
                                                 "envoy.wasm.runtime.null"):
                        errors.append(f"{hwhere}: unknown vm_config.runtime {vm.get('runtime')!r}")
                    local = vm.get("code", {}).get("local", {})
                    if not str(local.get("filename", "")).endswith(".wasm"):
                        errors.append(f"{hwhere}: vm_config.code.local.filename must name a .wasm file")
                for vh in tc.get("route_config", {}).get("virtual_hosts", []):
                    for route in vh.get("routes", []):
                        target = route.get("route", {}).get("cluster")
                        if target is not None and target not in clusters:
                            errors.append(f"{where}: route to unknown cluster {target!r}")
    if not found_wasm:
        errors.append("no envoy.filters.http.wasm filter")
    return errors


def validate_doc(doc, kinds):
    """Returns (label, errors, checked_against_schema)."""
    if not isinstance(doc, dict):
        return ("(not a mapping)", ["document is not a YAML mapping"], False)
    if "static_resources" in doc:
        return ("Envoy bootstrap", envoy_errors(doc), True)
    api, kind = doc.get("apiVersion"), doc.get("kind")
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    label = f"{kind}/{meta.get('name')}"
    errors = []
    if not isinstance(api, str) or not isinstance(kind, str):
        return (label, ["apiVersion and kind are required"], False)
    name = meta.get("name")
    if not isinstance(name, str) or len(name) > 253 or not re.match(DNS_SUBDOMAIN, name):
        errors.append(f"metadata.name: {name!r} is not a DNS subdomain name")
    ns = meta.get("namespace")
    if ns is not None and (not isinstance(ns, str) or not re.match(DNS_LABEL, ns) or len(ns) > 63):
        errors.append(f"metadata.namespace: {ns!r} is not a DNS label")
    known_kinds = {k for (_, k) in kinds}
    schema = kinds.get((api, kind))
    if schema is None:
        if kind in known_kinds:
            served = sorted(a for (a, k) in kinds if k == kind)
            errors.append(f"apiVersion {api!r} is not served for {kind} (served: {', '.join(served)})")
            return (label, errors, True)
        return (label, errors, False)
    body = {k: v for k, v in doc.items() if k not in ("apiVersion", "kind", "metadata")}
    validator = jsonschema.Draft7Validator(to_json_schema(schema))
    for err in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in err.absolute_path) or "(root)"
        errors.append(f"{where}: {err.message}")
    cel_check(schema, body, "(root)", errors)
    return (label, [e.replace("(root).", "") for e in errors], True)


def main(argv):
    args = argv[1:]
    crd_dir = default_crd_dir()
    if len(args) >= 2 and args[0] == "--crd-dir":
        crd_dir, args = args[1], args[2:]
    if not args:
        print(__doc__, file=sys.stderr)
        return 2
    kinds = load_crds(crd_dir)
    failed = False
    for path in args:
        try:
            text = sys.stdin.read() if path == "-" else open(path).read()
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
        except (OSError, yaml.YAMLError) as e:
            print(f"FAIL {path}: {e}")
            failed = True
            continue
        for i, doc in enumerate(docs):
            label, errors, schema_checked = validate_doc(doc, kinds)
            where = f"{path}#{i}"
            if errors:
                failed = True
                for e in errors:
                    print(f"FAIL {where} {label}: {e}")
            elif schema_checked:
                print(f"OK   {where} {label}")
            else:
                print(f"OK   {where} {label} (no schema for this kind: basic checks only)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
