#!/usr/bin/env python3
"""Compare DuckDB's figures (dora.sql) with `paved metrics` on the same data.

    scripts/bench/duckdb/compare.py --database DB_PATH --parquet PARQUET_DIR \
        --since ISO --until ISO [--paved BIN] [--services N] [--duckdb-json FILE]
        [--json OUT]

Runs `paved --database-url DB_PATH metrics --org --since S --until U --format
json` and, for the first N services of the catalog (default all; 0: none),
`paved metrics --service REF ...`; runs run.py on PARQUET_DIR (or reads
its --json output from --duckdb-json), and prints every figure side by
side. Equal figures are the proof that the definitions are the same. Exit
status 0 when every compared figure is equal, 1 otherwise.

Durations and rates are compared as paved prints them (rounded to the
millisecond / to 3 decimals); a difference of at most 0.001 is reported as
a rounding difference, not a mismatch.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

NOTES = [
    "negative_duration",
    "first_deployment",
    "unknown_commit",
    "open_incident",
    "recovery_pending",
    "unknown_deployment_link",
    "without_service",
]


def paved_figures(report):
    """The figures of a `paved metrics --format json` report, named as dora.sql names them."""
    df = report["deployment_frequency"]
    lt = report["lead_time_for_changes"]
    cfr = report["change_failure_rate"]
    rec = report["failed_deployment_recovery_time"]
    ttr = report["time_to_restore_service"]
    rw = report["rework_rate"]
    rules = [d["rule"] for d in cfr["failed_deployments"]]
    figures = {
        "deployments": df["deployments"],
        "per_day": df["per_day"],
        "median_deploy_days_per_week": df["median_deploy_days_per_week"],
        "changes": lt["changes"],
        "lead_time_median_seconds": lt["median_seconds"],
        "lead_time_p90_seconds": lt["p90_seconds"],
        "failed": cfr["failed"],
        "change_failure_rate": cfr["rate"],
        "failed_incident": rules.count("incident"),
        "failed_rollback": rules.count("rollback"),
        "failed_attribution_window": rules.count("attribution_window"),
        "recoveries": rec["recoveries"],
        "recovery_median_seconds": rec["median_seconds"],
        "restored_incidents": ttr["incidents"],
        "restore_median_seconds": ttr["median_seconds"],
        "rework": rw["rework"],
        "rework_rate": rw["rate"],
    }
    notes = {n["kind"]: n["count"] for n in report.get("notes", [])}
    for kind in NOTES:
        figures[kind] = notes.get(kind, 0)
    return figures


def same(a, b):
    if a is None or b is None:
        return (a is None) == (b is None), False
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if a == b:
            return True, False
        return abs(a - b) <= 0.001 + 1e-9, True
    return a == b, False


def paved(binary, database, *args):
    command = [binary, "--database-url", database, "metrics", *args, "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="the SQLite database export.py read (path or sqlite: URL)")
    parser.add_argument("--parquet", help="export.py's output directory (not needed with --duckdb-json)")
    parser.add_argument("--since", required=True)
    parser.add_argument("--until", required=True)
    parser.add_argument("--paved", help="the paved binary (default: target/release/paved, else target/debug/paved)")
    parser.add_argument("--services", type=int, default=-1, help="compare the first N services too (default all)")
    parser.add_argument("--duckdb-json", help="run.py's --json output for this window, instead of running it")
    parser.add_argument("--json", metavar="OUT", help="write the comparison as JSON")
    args = parser.parse_args()

    binary = args.paved
    if binary is None:
        for build in ("release", "debug"):
            candidate = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), build, "paved")
            if os.path.exists(candidate):
                binary = candidate
                break
        else:
            sys.exit("no paved binary: build it or give --paved")

    if args.duckdb_json:
        duck = json.load(open(args.duckdb_json, encoding="utf-8"))
    else:
        if not args.parquet:
            sys.exit("give --parquet (or --duckdb-json)")
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            subprocess.run(
                [sys.executable, os.path.join(HERE, "run.py"), args.parquet, "--since", args.since,
                 "--until", args.until, "--json", out.name, "--quiet", "--skip-cold"],
                check=True,
            )
            duck = json.load(open(out.name, encoding="utf-8"))

    org = paved(binary, args.database, "--org", "--since", args.since, "--until", args.until)
    print(f"window [{org['window']['since']}, {org['window']['until']})  paved: {binary}")
    comparison = {"since": org["window"]["since"], "until": org["window"]["until"], "org": {}, "services": {}}
    mismatches = 0

    def compare(label, ours, theirs, out, show):
        nonlocal mismatches
        if show:
            print(f"{label}\n  {'figure':<30} {'paved':>18} {'duckdb':>18}")
        for name, value in theirs.items():
            mine = ours.get(name)
            ok, rounding = same(value, mine)
            verdict = "equal" if ok and not rounding else ("rounding" if ok else "DIFFERENT")
            mismatches += not ok
            out[name] = {"paved": value, "duckdb": mine, "verdict": verdict}
            if show or not ok:
                if not show:
                    print(f"{label}")
                print(f"  {name:<30} {str(value):>18} {str(mine):>18}  {verdict}")

    compare("organisation", duck["org"], paved_figures(org), comparison["org"], True)

    by_service = {s["service"]: s for s in duck["services"]}
    services = sorted(by_service)
    if args.services >= 0:
        services = services[: args.services]
    equal_services = 0
    for service in services:
        report = paved(binary, args.database, "--service", service, "--since", args.since, "--until", args.until)
        theirs = paved_figures(report)
        for note in ("unknown_deployment_link", "without_service"):
            theirs.pop(note, None)
        out = {}
        before = mismatches
        compare(f"service {service}", by_service[service], theirs, out, False)
        comparison["services"][service] = out
        equal_services += mismatches == before
    if services:
        print(f"services: {equal_services} of {len(services)} with every figure equal")
    print("RESULT:", "every figure equal" if mismatches == 0 else f"{mismatches} figure(s) differ")
    if args.json:
        comparison["mismatches"] = mismatches
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(comparison, out, indent=2)
    sys.exit(0 if mismatches == 0 else 1)


if __name__ == "__main__":
    main()
