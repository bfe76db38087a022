#!/usr/bin/env python3
"""Export a pavedroad SQLite database as the Parquet tables dora.sql reads.

    scripts/bench/duckdb/export.py DB_PATH OUT_DIR [--memory-limit 4GB]

Reads the store with Python's sqlite3 (read-only), streams every table to a
CSV file in OUT_DIR/.csv (one row at a time: memory stays bounded whatever
the size), and has DuckDB turn each CSV into OUT_DIR/<table>.parquet. Prints
how long each step took; the export is not part of the benchmark.

Tables written (instants are integer microseconds since the Unix epoch,
commit times integer seconds, as the store keeps them):

  services        service, repo                 catalog Components (not orphaned)
  service_paths   service, pattern                their paved.dev/paths
  commits         id, repo, sha, committer_time, message
  commit_parents  id, parent_id, position       parents within the same repository
  commit_files    id, path
  deployments     key, service, sha, production, status, finished_us, hotfix
  incidents       key, service, opened_us, resolved_us, reopened_us,
                  caused_by, root_cause

`id` is the commit's rowid in the store. A parent that is not among the
repository's commits (a history cut short) is left out, as the product's
commit graph leaves it out. Everything else is exported as stored: sha
abbreviations, resolutions, production and status are decided by dora.sql.
"""

import argparse
import csv
import json
import os
import shutil
import sqlite3
import sys
import time
from datetime import datetime, timezone

import duckdb

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_us(text):
    """An RFC 3339 instant as integer microseconds since the epoch (None stays None)."""
    if text is None:
        return None
    text = text.strip()
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    # Python 3.11 reads at most 6 fractional digits: cut nanoseconds.
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: min(end, dot + 7)] + text[end:]
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def stream_csv(path, header, rows):
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db_path")
    parser.add_argument("out_dir")
    parser.add_argument("--memory-limit", default="4GB", help="DuckDB's memory limit while converting")
    parser.add_argument("--keep-csv", action="store_true", help="keep the intermediate CSV files")
    args = parser.parse_args()

    if not os.path.exists(args.db_path):
        sys.exit(f"no database at {args.db_path}")
    os.makedirs(args.out_dir, exist_ok=True)
    csv_dir = os.path.join(args.out_dir, ".csv")
    os.makedirs(csv_dir, exist_ok=True)
    started = time.monotonic()
    src = sqlite3.connect(f"file:{args.db_path}?mode=ro", uri=True)
    src.execute("PRAGMA query_only = 1")

    def step(name, header, query, convert=None):
        t = time.monotonic()
        cursor = src.execute(query)
        cursor.arraysize = 10_000
        rows = (convert(r) for r in cursor) if convert else cursor
        n = stream_csv(os.path.join(csv_dir, f"{name}.csv"), header, rows)
        print(f"  read {name:<15} {n:>11,} rows  {time.monotonic() - t:8.1f} s", flush=True)
        return n

    print(f"reading {args.db_path}")
    # Catalog Components: repository and paved.dev/paths from the entity's JSON.
    components = []
    for key, entity in src.execute("SELECT key, entity FROM entities WHERE kind = 'component' AND orphan = 0"):
        paved = json.loads(entity).get("paved") or {}
        repo = paved.get("repo")
        components.append((key, repo.strip().lower() if repo else None, paved.get("paths") or []))
    stream_csv(os.path.join(csv_dir, "services.csv"), ["service", "repo"], ((k, r) for k, r, _ in components))
    stream_csv(
        os.path.join(csv_dir, "service_paths.csv"),
        ["service", "pattern"],
        ((k, g) for k, _, paths in components for g in paths),
    )
    print(f"  read {'services':<15} {len(components):>11,} rows")

    step(
        "commits",
        ["id", "repo", "sha", "parents", "committer_time", "message"],
        "SELECT rowid, repo, sha, parents, committer_time, message FROM commits",
    )
    step("commit_files", ["repo", "sha", "path"], "SELECT repo, sha, path FROM commit_files")
    step(
        "deployments",
        ["key", "service", "sha", "production", "status", "finished_us", "hotfix"],
        """SELECT key, service, sha, production, status,
                  json_extract(body, '$.finished_at'), json_extract(body, '$.hotfix')
           FROM records WHERE kind = 'deployment'""",
        lambda r: (r[0], r[1], r[2], r[3], r[4], to_us(r[5]), 1 if r[6] else 0),
    )
    step(
        "incidents",
        ["key", "service", "opened_us", "resolved_us", "reopened_us", "caused_by", "root_cause"],
        """SELECT key, service, json_extract(body, '$.opened_at'), json_extract(body, '$.resolved_at'),
                  json_extract(body, '$.reopened_at'), json_extract(body, '$.caused_by_deployment'),
                  json_extract(body, '$.root_cause_sha')
           FROM records WHERE kind = 'incident'""",
        lambda r: (r[0], r[1], to_us(r[2]), to_us(r[3]), to_us(r[4]), r[5], r[6]),
    )
    src.close()
    read_done = time.monotonic()

    print("writing Parquet")
    tmp = os.path.join(args.out_dir, ".duckdb-tmp")
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{args.memory_limit}'")
    con.execute(f"SET temp_directory = '{tmp}'")
    con.execute("SET preserve_insertion_order = false")

    def csv_of(name, columns):
        cols = ", ".join(f"'{c}': '{t}'" for c, t in columns)
        path = os.path.join(csv_dir, f"{name}.csv")
        return (
            f"read_csv('{path}', header = true, quote = '\"', escape = '\"', "
            f"strict_mode = false, null_padding = false, columns = {{{cols}}})"
        )

    def copy(name, query):
        t = time.monotonic()
        out = os.path.join(args.out_dir, f"{name}.parquet")
        con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)")
        n = con.execute(f"SELECT count(*) FROM '{out}'").fetchone()[0]
        print(f"  wrote {name:<15} {n:>11,} rows  {time.monotonic() - t:8.1f} s", flush=True)

    copy("services", f"SELECT * FROM {csv_of('services', [('service', 'VARCHAR'), ('repo', 'VARCHAR')])}")
    copy("service_paths", f"SELECT * FROM {csv_of('service_paths', [('service', 'VARCHAR'), ('pattern', 'VARCHAR')])}")
    commits_csv = csv_of(
        "commits",
        [
            ("id", "BIGINT"),
            ("repo", "VARCHAR"),
            ("sha", "VARCHAR"),
            ("parents", "VARCHAR"),
            ("committer_time", "BIGINT"),
            ("message", "VARCHAR"),
        ],
    )
    copy("commits", f"SELECT id, repo, sha, committer_time, message FROM {commits_csv}")
    commits_pq = os.path.join(args.out_dir, "commits.parquet")
    # Parents named by sha, resolved to ids within the same repository; the
    # parents string comes from the CSV (the Parquet table does not keep it).
    copy(
        "commit_parents",
        f"""SELECT p.id, c.id AS parent_id, p.position
            FROM (SELECT id, repo, unnest(string_split(parents, ' ')) AS parent,
                         generate_subscripts(string_split(parents, ' '), 1) AS position
                  FROM {commits_csv} WHERE parents <> '') p
            JOIN (SELECT id, repo, sha FROM '{commits_pq}') c ON c.repo = p.repo AND c.sha = p.parent""",
    )
    files_csv = csv_of("commit_files", [("repo", "VARCHAR"), ("sha", "VARCHAR"), ("path", "VARCHAR")])
    copy(
        "commit_files",
        f"""SELECT c.id, f.path FROM {files_csv} f
            JOIN (SELECT id, repo, sha FROM '{commits_pq}') c ON c.repo = f.repo AND c.sha = f.sha""",
    )
    copy(
        "deployments",
        "SELECT * FROM "
        + csv_of(
            "deployments",
            [
                ("key", "VARCHAR"),
                ("service", "VARCHAR"),
                ("sha", "VARCHAR"),
                ("production", "INTEGER"),
                ("status", "VARCHAR"),
                ("finished_us", "BIGINT"),
                ("hotfix", "INTEGER"),
            ],
        ),
    )
    copy(
        "incidents",
        "SELECT * FROM "
        + csv_of(
            "incidents",
            [
                ("key", "VARCHAR"),
                ("service", "VARCHAR"),
                ("opened_us", "BIGINT"),
                ("resolved_us", "BIGINT"),
                ("reopened_us", "BIGINT"),
                ("caused_by", "VARCHAR"),
                ("root_cause", "VARCHAR"),
            ],
        ),
    )
    con.close()
    shutil.rmtree(tmp, ignore_errors=True)
    if not args.keep_csv:
        shutil.rmtree(csv_dir, ignore_errors=True)
    done = time.monotonic()
    print(
        f"export took {done - started:.1f} s (reading SQLite {read_done - started:.1f} s, "
        f"writing Parquet {done - read_done:.1f} s) into {args.out_dir}"
    )


if __name__ == "__main__":
    main()
