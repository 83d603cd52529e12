#!/usr/bin/python3
"""Checks the header_auth configuration schema against the README and the invalid examples.

Usage: check_examples.py SCHEMA README INVALID_DIR

- the schema is a valid draft 2020-12 schema;
- every ```json block of the README is a configuration the schema accepts;
- every INVALID_DIR/*.json is a configuration the schema refuses.
(config_test.cc checks that the policy parser agrees on both sets.)
"""
import json
import pathlib
import re
import sys

import jsonschema


def readme_examples(readme):
    return re.findall(r"^```json\n(.*?)^```", readme.read_text(), re.S | re.M)


def main():
    schema_path, readme_path, invalid_dir = map(pathlib.Path, sys.argv[1:4])
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []

    examples = readme_examples(readme_path)
    if not examples:
        failures.append(f"{readme_path}: no json examples found")
    for number, text in enumerate(examples):
        errors = sorted(validator.iter_errors(json.loads(text)), key=str)
        for error in errors:
            failures.append(f"README example {number} refused: {error.message} "
                            f"at {'/'.join(map(str, error.absolute_path))}")

    invalid = sorted(invalid_dir.glob("*.json"))
    if not invalid:
        failures.append(f"{invalid_dir}: no invalid examples found")
    for path in invalid:
        if not list(validator.iter_errors(json.loads(path.read_text()))):
            failures.append(f"{path.name}: accepted by the schema, should be refused")

    for failure in failures:
        print("FAIL", failure)
    print(f"{len(examples)} README examples accepted, {len(invalid)} invalid examples refused"
          if not failures else f"{len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
