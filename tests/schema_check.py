#!/usr/bin/env python3
"""Every JSON document pooltrend writes must follow its schema:
man/report.schema.json for the ranking, man/diff.schema.json for diff.

    schema_check.py POOLTREND SCHEMA_DIR TESTDATA

Validates fresh reports over the testdata inputs (with pools, owners and a
gate), every golden JSON and JSON Lines output, and checks that documents
broken on purpose are rejected, so the schema is no empty promise.
"""
import copy
import json
import os
import subprocess
import sys

import jsonschema

exe, schema_dir, data = (os.path.abspath(a) for a in sys.argv[1:4])


def validators(name):
    """The validator of a document and of its JSON Lines tag objects."""
    with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return (jsonschema.Draft202012Validator(schema),
            jsonschema.Draft202012Validator(
                {**schema["$defs"]["tag"], "$defs": schema["$defs"]}))


validator, tag_validator = validators("report.schema.json")
diff_validator, diff_tag_validator = validators("diff.schema.json")
owner_validator, _ = validators("owner.schema.json")
failures = 0


def fail(what, err):
    global failures
    failures += 1
    where = "/".join(str(p) for p in err.absolute_path) if err else ""
    print(f"FAIL {what}: {where}: {err.message if err else ''}")


def check(what, doc, v=validator):
    err = jsonschema.exceptions.best_match(v.iter_errors(doc))
    if err is not None:
        fail(what, err)


def run(*args):
    env = dict(os.environ, LC_ALL="C", TZ="UTC")
    env.pop("POOLTAG_FILE", None)
    # A command word (diff) must come first.
    argv = [exe, *args[:1], "-q", *args[1:]] if args[0] == "diff" else \
        [exe, "-q", *args]
    p = subprocess.run(argv, cwd=data, env=env,
                       capture_output=True, timeout=60)
    if p.returncode not in (0, 1):
        print(f"FAIL pooltrend {' '.join(args)}: exit {p.returncode}")
        print(p.stderr.decode(errors="replace"))
        sys.exit(1)
    return p.stdout.decode("utf-8")


runs = [
    ["-f", "json", "demo"],
    ["-f", "json", "--fail-on", "possible", "--fail-above", "1KB/h",
     "--pooltag", "pooltag-owners/pooltag.txt", "demo"],
    ["-f", "json", "--baseline", "gate-baseline-faster/base.json", "demo"],
    ["-f", "json", "-p", "nonpaged", "demo"],
    ["-f", "json", "x64-append-crlf/poolmon.log"],
    ["-f", "json", "x86-names/snaps"],
    ["-f", "json", "reboot-wrap/capture.txt"],
    ["-f", "json", "--interval", "30m", "interactive-interval/screens.txt"],
]
for args in runs:
    check(" ".join(args), json.loads(run(*args)))
for line in run("-f", "jsonl", "demo").splitlines():
    check("jsonl demo", json.loads(line), tag_validator)
diff_runs = [
    ["diff", "-f", "json", "demo"],
    ["diff", "-f", "json", "reboot-wrap/capture.txt"],
    ["diff", "-f", "json", "--pooltag", "pooltag-owners/pooltag.txt",
     "x86-names/snaps", "x64-append-crlf/poolmon.log"],
]
for args in diff_runs:
    check(" ".join(args), json.loads(run(*args)), diff_validator)
for line in run("diff", "-f", "jsonl", "demo").splitlines():
    check("diff jsonl demo", json.loads(line), diff_tag_validator)

goldens = 0
for case in sorted(os.listdir(data)):
    path = os.path.join(data, case, "expected.out")
    if not os.path.isfile(path):
        continue
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    is_diff = case.startswith("diff-")
    if isinstance(doc, dict) and doc.get("kind") == "owner":
        check(case, doc, owner_validator)
        goldens += 1
    elif isinstance(doc, dict) and "schema_version" in doc:
        check(case, doc, diff_validator if is_diff else validator)
        goldens += 1
    elif text.startswith('{"'):
        for line in text.splitlines():
            check(case, json.loads(line),
                  diff_tag_validator if is_diff else tag_validator)
        goldens += 1

base = json.loads(run("-f", "json", "--fail-on", "likely", "demo"))
broken = {
    "verdict 'maybe'": lambda d: d["tags"][0].__setitem__("verdict", "maybe"),
    "tag_hex not hex": lambda d: d["tags"][0].__setitem__("tag_hex", "XYZ"),
    "no tags": lambda d: d.pop("tags"),
    "schema_version 2": lambda d: d.__setitem__("schema_version", 2),
    "confidence 1.5": lambda d: d["tags"][0].__setitem__("confidence", 1.5),
    "pool 'both'": lambda d: d["pools"][0].__setitem__("pool", "both"),
    "gate without series": lambda d: d["gate"].pop("series"),
    "factor 2": lambda d: d["tags"][0]["components"]["trend"].__setitem__(
        "factor", 2),
}
for what, mutate in broken.items():
    doc = copy.deepcopy(base)
    mutate(doc)
    if validator.is_valid(doc):
        fail(f"broken document accepted ({what})", None)
diff_base = json.loads(run("diff", "-f", "json", "demo"))
diff_broken = {
    "status 'both!'": lambda d: d["tags"][0].__setitem__("status", "both!"),
    "no old side": lambda d: d.pop("old"),
    "bytes_change 1.5": lambda d: d["tags"][0].__setitem__("bytes_change", 1.5),
}
for what, mutate in diff_broken.items():
    doc = copy.deepcopy(diff_base)
    mutate(doc)
    if diff_validator.is_valid(doc):
        fail(f"broken diff document accepted ({what})", None)
broken.update(diff_broken)
with open(os.path.join(data, "owner-json", "expected.out"), encoding="utf-8") as f:
    owner_base = json.load(f)
owner_broken = {
    "confidence 2": lambda d: d["tags"][0]["owners"][0].__setitem__(
        "confidence", 2),
    "kind 'report'": lambda d: d.__setitem__("kind", "report"),
    "no scan": lambda d: d.pop("scan"),
}
for what, mutate in owner_broken.items():
    doc = copy.deepcopy(owner_base)
    mutate(doc)
    if owner_validator.is_valid(doc):
        fail(f"broken owner document accepted ({what})", None)
broken.update(owner_broken)
runs += diff_runs

# A wrong testdata path must not pass with nothing checked.
if goldens < 8:
    fail(f"only {goldens} golden JSON outputs found in {data}", None)

print(f"{len(runs)} runs, {goldens} golden outputs, {len(broken)} broken "
      f"documents checked; {failures} failures")
sys.exit(1 if failures else 0)
