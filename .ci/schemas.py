"""Checks roster's JSON Schemas with another implementation than roster's
own tests use: Python's jsonschema (draft 2020-12, patterns compiled by
Python's re, as editors' validators do). Every schema must be a valid
schema whose patterns are regular expressions Python accepts, and every
YAML file of the example tree (access/) must validate against the schema of
its kind, read by a YAML 1.1 parser (so an unquoted date is a timestamp, as
in most editors). Exits 1 on any problem, naming the file and the field."""

import importlib.metadata
import json
import pathlib
import sys

import jsonschema
import referencing
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
KINDS = {"roster.yaml": "roster", "environment.yaml": "environment"}


def load_schemas():
    schemas = {}
    for kind in ("roster", "environment", "manifest"):
        path = ROOT / "schema" / f"{kind}.schema.json"
        schema = json.loads(path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        schemas[kind] = schema
    registry = referencing.Registry().with_resources(
        (s["$id"], referencing.Resource.from_contents(s)) for s in schemas.values()
    )
    return {k: jsonschema.Draft202012Validator(s, registry=registry) for k, s in schemas.items()}


def main():
    try:
        validators = load_schemas()
    except jsonschema.exceptions.SchemaError as e:
        print(f"schema error: {e.message} at {'/'.join(map(str, e.path))}")
        return 1
    # The check must be able to fail: a file with an unknown field is refused.
    if validators["manifest"].is_valid({"users": [{"name": "a", "unknown": 1}]}):
        print("the manifest schema accepts an unknown field: the check is not working")
        return 1
    bad = 0
    files = sorted((ROOT / "access").rglob("*.yaml"))
    for path in files:
        kind = KINDS.get(path.name, "manifest")
        doc = yaml.safe_load(path.read_text()) or {}
        for e in sorted(validators[kind].iter_errors(doc), key=lambda e: list(map(str, e.path))):
            where = "/".join(map(str, e.absolute_path)) or "(top)"
            print(f"{path.relative_to(ROOT)}: {where}: {e.message}")
            bad += 1
    if bad:
        print(f"{bad} schema problems in {len(files)} files")
        return 1
    print(f"{len(files)} files valid against the schemas (Python jsonschema {importlib.metadata.version('jsonschema')})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
