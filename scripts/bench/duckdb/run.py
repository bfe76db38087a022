#!/usr/bin/env python3
"""Run dora.sql in DuckDB over export.py's Parquet tables and time it.

    scripts/bench/duckdb/run.py PARQUET_DIR --since ISO --until ISO [--json OUT]
                                [--warm-runs N] [--skip-cold] [--quiet]

(a) cold: a fresh in-memory connection whose tables are views over the
Parquet files, running every statement of dora.sql; (b) warm: another fresh
connection that first loads every Parquet file into a DuckDB table (timed
apart: `load_seconds`), then runs dora.sql again (best of --warm-runs).
Threads are DuckDB's default (all cores). Prints the times, the process's
peak RSS (after the cold run, and at the end) and the organisation's
figures; --json writes all of that plus every service's figures.
"""

import argparse
import json
import os
import re
import resource
import sys
import time
from datetime import datetime, timezone

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = ["services", "service_paths", "commits", "commit_parents", "commit_files", "deployments", "incidents"]


def parse_instant(text):
    """A date (midnight UTC) or an RFC 3339 time, as microseconds since the epoch."""
    text = text.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        moment = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    else:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - datetime(1970, 1, 1, tzinfo=timezone.utc)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def iso(us):
    return datetime.fromtimestamp(us / 1e6, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def statements(path):
    text = open(path, encoding="utf-8").read()
    # Drop comment lines, split on a semicolon ending a line.
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*\n", body + "\n") if s.strip()]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_sql(con, sql, since_us, until_us, timings):
    con.execute(f"SET VARIABLE since_us = {since_us}")
    con.execute(f"SET VARIABLE until_us = {until_us}")
    started = time.perf_counter()
    for statement in sql:
        t = time.perf_counter()
        con.execute(statement)
        name = re.search(r"TEMP TABLE (\w+)", statement)
        timings[name.group(1) if name else statement[:30]] = round(time.perf_counter() - t, 4)
    return time.perf_counter() - started


def fetch(con, table):
    cursor = con.execute(f"SELECT * FROM {table}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("parquet_dir")
    parser.add_argument("--since", required=True, help="a date (midnight UTC) or an RFC 3339 time")
    parser.add_argument("--until", required=True, help="a date (midnight UTC) or an RFC 3339 time (exclusive)")
    parser.add_argument("--json", metavar="OUT", help="write times and figures as JSON to OUT ('-': stdout)")
    parser.add_argument("--sql", default=os.path.join(HERE, "dora.sql"))
    parser.add_argument("--warm-runs", type=int, default=1, help="warm runs; the best is reported")
    parser.add_argument("--skip-cold", action="store_true", help="only load and run warm")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors (and --json -)")
    args = parser.parse_args()

    since_us, until_us = parse_instant(args.since), parse_instant(args.until)
    if until_us <= since_us:
        sys.exit("--until must be after --since")
    for table in TABLES:
        if not os.path.exists(os.path.join(args.parquet_dir, f"{table}.parquet")):
            sys.exit(f"{args.parquet_dir} has no {table}.parquet: run export.py first")
    sql = statements(args.sql)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    parquet = {t: os.path.join(os.path.abspath(args.parquet_dir), f"{t}.parquet") for t in TABLES}
    result = {
        "parquet_dir": os.path.abspath(args.parquet_dir),
        "since": iso(since_us),
        "until": iso(until_us),
        "duckdb_version": duckdb.__version__,
    }

    if not args.skip_cold:
        con = duckdb.connect(":memory:")
        result["threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]
        for table, path in parquet.items():
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
        cold_steps = {}
        result["cold_seconds"] = round(run_sql(con, sql, since_us, until_us, cold_steps), 4)
        result["cold_steps"] = cold_steps
        cold_org = fetch(con, "report_org")[0]
        con.close()
        result["peak_rss_mb_cold"] = round(peak_rss_mb(), 1)
        say(f"cold (views over Parquet): {result['cold_seconds']:.3f} s, peak RSS {result['peak_rss_mb_cold']:.0f} MiB")

    con = duckdb.connect(":memory:")
    result["threads"] = con.execute("SELECT current_setting('threads')").fetchone()[0]
    t = time.perf_counter()
    for table, path in parquet.items():
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet('{path}')")
    result["load_seconds"] = round(time.perf_counter() - t, 4)
    say(f"load into DuckDB tables: {result['load_seconds']:.3f} s")
    best, best_steps = None, None
    for _ in range(max(1, args.warm_runs)):
        steps = {}
        seconds = run_sql(con, sql, since_us, until_us, steps)
        if best is None or seconds < best:
            best, best_steps = seconds, steps
    result["warm_seconds"] = round(best, 4)
    result["warm_steps"] = best_steps
    org = fetch(con, "report_org")[0]
    services = fetch(con, "report_service")
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    say(f"warm (tables in memory): {result['warm_seconds']:.3f} s, peak RSS {result['peak_rss_mb']:.0f} MiB")
    if not args.skip_cold and cold_org != org:
        sys.exit("cold and warm runs disagree: " + json.dumps({"cold": cold_org, "warm": org}, default=str))
    result["org"] = org
    result["services"] = services
    con.close()

    say(f"organisation, [{result['since']}, {result['until']}):")
    for name, value in org.items():
        say(f"  {name:<30} {value}")
    if args.json:
        text = json.dumps(result, indent=2, default=str)
        if args.json == "-":
            print(text)
        else:
            with open(args.json, "w", encoding="utf-8") as out:
                out.write(text + "\n")


if __name__ == "__main__":
    main()
