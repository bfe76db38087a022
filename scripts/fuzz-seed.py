#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (fuzz/corpus/<target>/) from the
repository's real fixtures: every descriptor of the examples and of
Backstage's example catalog, the golden paths' templates and skeletons,
and every real and documented webhook payload, prefixed with the byte that
chooses its source and event type (fuzz/src/lib.rs KINDS)."""

import hashlib
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "fuzz" / "corpus"

kinds_source = (root / "fuzz" / "src" / "lib.rs").read_text()
kinds = re.findall(r'\(Source::(\w+), "([^"]+)"\)', kinds_source)
index = {kind: i for i, kind in enumerate(kinds)}
gitlab = {"push": "Push Hook", "tag_push": "Tag Push Hook", "merge_request": "Merge Request Hook",
          "note": "Note Hook", "pipeline": "Pipeline Hook", "job": "Job Hook", "deployment": "Deployment Hook",
          "issue": "Issue Hook", "release": "Release Hook"}


def put(target, data):
    directory = out / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def kind_of(path):
    """(source, event type) of a payload file, from its directories."""
    parts = path.relative_to(root).parts
    source = parts[-3] if len(parts) >= 3 else ""
    folder = parts[-2]
    if "alertmanager" in parts:
        return ("Alertmanager", "alert")
    if "events_v2" in parts:
        return ("EventsV2", path.stem.split("-")[0])
    if "pagerduty" in parts:
        name = folder if folder.startswith("incident.") else path.stem
        return ("PagerDuty", name)
    if "gitlab" in parts:
        return ("GitLab", gitlab.get(folder, ""))
    if "github" in parts:
        return ("GitHub", folder)
    return (source, folder)


descriptors = sorted(list((root / "examples").rglob("*.yaml")) +
                     list((root / "tests" / "fixtures" / "backstage-examples").rglob("*.yaml")))
for path in descriptors:
    text = path.read_bytes()
    put("catalog", text)
    if b"kind: Module" in text or b"kind: Template" in text:
        put("parameters", text + b"\n#--set--\nname=orders\nowner=group:default/checkout\nsize=small\n")
    if b"kind: Template" in text:
        put("template", text)
# The README's Modules (its provisioning section), with values to check.
readme = (root / "README.md").read_text()
for block in re.findall(r"```yaml\n(.*?)```", readme, re.S):
    if "kind: Module" in block or "kind: DeployTarget" in block or "kind: EscalationPolicy" in block:
        document = ("apiVersion: paved.dev/v1alpha1\n" + block if "apiVersion" not in block else block).encode()
        put("catalog", document)
        put("parameters", document + b"\n#--set--\nclass=small\nregion=eu-west-1\nsize=3\n")
# A catalog whose Location reaches a second file.
put("catalog", b"apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata: { name: more }\n"
               b"spec: { targets: [./a.yaml] }\n#--file--\n"
               b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata: { name: a }\n"
               b"spec: { type: service, lifecycle: production, owner: team-a }\n")
for path in sorted((root / "examples" / "templates").rglob("*")):
    if path.is_file() and path.suffix not in (".yaml",):
        put("template", path.read_bytes() + b'\n#--values--\n{"name": "orders", "owner": "checkout", "port": 8080}')

payloads = sorted(list((root / "tests" / "fixtures" / "real-payloads").rglob("*.json")) +
                  list((root / "crates" / "paved-ingest" / "tests" / "payloads").rglob("*.json")))
seeded = 0
for path in payloads:
    kind = kind_of(path)
    if kind in index:
        put("webhook", bytes([index[kind]]) + path.read_bytes())
        seeded += 1
    else:
        print(f"fuzz-seed: no target kind for {path.relative_to(root)} ({kind})", file=sys.stderr)
for name, count in sorted((d.name, len(list(d.iterdir()))) for d in out.iterdir()):
    print(f"fuzz-seed: {count} seeds for {name}")
