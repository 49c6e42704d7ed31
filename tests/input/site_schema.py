#!/usr/bin/python3
"""The JSON Schema of site files (dctwin schema --json) is the shipped sites/site.schema.json,
is itself a valid draft 2020-12 schema, accepts every example site and refuses sites with an
unknown key, a wrong type or a missing section. Exit 77 (skipped) without Debian's
python3-jsonschema or python3-yaml.

    site_schema.py SOURCE_DIR DCTWIN_BINARY
"""
import glob
import json
import subprocess
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:
    print(f"skipped: {e.name} missing (Debian: python3-jsonschema, python3-yaml)")
    sys.exit(77)

src, binary = sys.argv[1], sys.argv[2]
generated = subprocess.run([binary, "schema", "--json"], check=True, capture_output=True, text=True).stdout
with open(f"{src}/sites/site.schema.json") as f:
    shipped = f.read()
if generated != shipped:
    sys.exit("sites/site.schema.json is out of date: dctwin schema --json > sites/site.schema.json")
schema = json.loads(generated)
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)

sites = sorted(glob.glob(f"{src}/sites/*.yaml"))
assert len(sites) >= 10, sites
for path in sites:
    with open(path) as f:
        site = yaml.safe_load(f)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(site)]
    if errors:
        sys.exit(f"{path}: the schema refuses a shipped site:\n  " + "\n  ".join(errors[:10]))

with open(f"{src}/sites/example-pod.yaml") as f:
    base = yaml.safe_load(f)
bad = []
s = json.loads(json.dumps(base)); s["coolant"]["supply_temprature"] = "30 degC"; bad.append(("unknown key", s))
s = json.loads(json.dumps(base)); s["coolant"]["fluid"] = "mercury"; bad.append(("unknown choice", s))
s = json.loads(json.dumps(base)); del s["power"]; bad.append(("missing section", s))
s = json.loads(json.dumps(base)); s["dctwin"] = "one"; bad.append(("wrong type", s))
for what, site in bad:
    if validator.is_valid(site):
        sys.exit(f"the schema accepts a site with {what}")
print(f"schema: {len(sites)} example sites valid, {len(bad)} broken ones refused")
