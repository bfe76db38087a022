#!/usr/bin/env python3
"""Signed GitHub deliveries for scripts/bench-ingest.sh, one file per wrk thread.

Reads the real payload samples (push and deployment_status) and turns each
request into a distinct event: a fresh X-GitHub-Delivery, a fresh push
`after` (and head commit) or deleted ref `before`, fresh deployment and
deployment status ids, and one of the benchmark's repositories in place of
the sample's. Every body is signed again with X-Hub-Signature-256 (HMAC-SHA256
of the raw bytes with the webhook secret), exactly as GitHub signs it.

Request i goes to thread i % threads, so the threads' slices are disjoint and
together hold every request once; each slice alternates push and
deployment_status.

File format, per request: a line `<event> <delivery> <signature> <length>`
then <length> bytes of body.

    gen_requests.py FIXTURES_DIR OUT_PREFIX EVENTS THREADS SECRET REPOS
"""

import copy
import hashlib
import hmac
import json
import sys
import uuid
from pathlib import Path

SAMPLE_REPO = "Codertocat/Hello-World"
ZERO = "0" * 40


def sha(kind: str, i: int) -> str:
    return hashlib.sha1(f"pavedroad-bench-{kind}-{i}".encode()).hexdigest()


def load(directory: Path, names):
    return [json.loads((directory / name).read_text()) for name in names]


def main() -> None:
    fixtures, out_prefix, events, threads, secret, repos = sys.argv[1:7]
    events, threads, repos = int(events), int(threads), int(repos)
    github = Path(fixtures)
    pushes = load(github / "push", sorted(p.name for p in (github / "push").glob("*.payload.json")))
    # The production samples (the gh-pages one deploys to github-pages).
    statuses = load(github / "deployment_status", ["payload.json", "with-installation.payload.json"])

    outs = [open(f"{out_prefix}.{t}", "wb") for t in range(threads)]
    counts = {"push": 0, "deployment_status": 0}
    for i in range(events):
        name = f"service-{i % repos:02d}"
        repo = f"acme-bench/{name}"
        if (i // threads) % 2 == 0:
            event = "push"
            body = copy.deepcopy(pushes[counts[event] % len(pushes)])
            if body["after"] == ZERO:
                # A deleted ref: the sha it pointed at tells deliveries apart.
                body["before"] = sha("before", i)
            else:
                after = sha("after", i)
                body["after"] = after
                if body.get("head_commit"):
                    body["head_commit"]["id"] = after
                if body.get("commits"):
                    body["commits"][-1]["id"] = after
        else:
            event = "deployment_status"
            k = counts[event]
            body = copy.deepcopy(statuses[k % len(statuses)])
            # Two statuses per deployment, in progress then success: the
            # second merges into the record the first created.
            body["deployment"]["id"] = 500_000_000 + k // 2
            body["deployment"]["sha"] = sha("deploy", k // 2)
            body["deployment_status"]["id"] = 700_000_000 + k
            body["deployment_status"]["state"] = "in_progress" if k % 2 == 0 else "success"
            # Both statuses of a deployment name its repository.
            name = f"service-{(k // 2) % repos:02d}"
            repo = f"acme-bench/{name}"
        body["repository"]["name"] = name
        counts[event] += 1
        raw = json.dumps(body, separators=(",", ":")).replace(SAMPLE_REPO, repo).encode()
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
        delivery = str(uuid.UUID(int=(0xBE7C4 << 96) | i))
        outs[i % threads].write(f"{event} {delivery} {signature} {len(raw)}\n".encode() + raw)
    for out in outs:
        out.close()
    print(f"generated {events} signed deliveries ({counts['push']} push, "
          f"{counts['deployment_status']} deployment_status) over {repos} repositories, "
          f"{threads} disjoint slices")


if __name__ == "__main__":
    main()
