#!/usr/bin/env bash
# The full report (DORA + diagnostics) for the whole synthetic organisation
# (`paved synth`), cold and warm, with peak memory — against the same DORA
# definitions written as SQL and run by DuckDB over the same data exported
# as Parquet (scripts/bench/duckdb/). DESIGN §9; figures in BENCHMARKS.md.
#
#   scripts/bench-report.sh [--smoke] [--dir DIR] [--no-compare]
#
# DIR (default /tmp/paved-bench-org) holds the organisation: generated with
# `paved synth`'s defaults (1,000 services, 5,000 people, 10 million commits,
# 1 million deployments, 100,000 incidents; about 20 minutes and 8 GiB) when
# DIR/paved.db is absent, reused otherwise. The window is the whole history.
#
#   cold   `paved report --format json`, a fresh process: read the store,
#          build every service's analysis, diagnose, print.
#   warm   `GET /api/v1/report` on `paved serve` holding the analysis (built
#          by a first request, timed apart as "server first"): windows not
#          asked before, so each is a diagnosis computed, not a cached one.
#   duckdb run.py's cold (views over Parquet) and warm (tables in memory).
#
# --smoke: a debug build and a tiny organisation, then compare.py checks that
# paved and DuckDB compute the same figures (the CI runs this).
# Needs python3 with the duckdb package (pip install duckdb) and curl.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/scripts/bench/lib.sh"
smoke=false
dir=/tmp/paved-bench-org
compare=true
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=true ;;
    --dir) dir=$2; shift ;;
    --no-compare) compare=false ;;
    *) echo "unknown argument $1; usage: $0 [--smoke] [--dir DIR] [--no-compare]" >&2; exit 2 ;;
  esac
  shift
done
python3 -c 'import duckdb' 2>/dev/null || { echo "python3 cannot import duckdb (pip install duckdb)" >&2; exit 2; }

target=${CARGO_TARGET_DIR:-$root/target}
if $smoke; then
  build_paved "$root" debug
  paved="$target/debug/paved"
  dir=$(mktemp -d)/org
  sizes=(--services 30 --people 120 --commits 20000 --deployments 3000 --incidents 300 --months 6)
else
  build_paved "$root" release
  paved="$target/release/paved"
  sizes=()
fi
scratch=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$scratch"; if $smoke; then rm -rf "$(dirname "$dir")"; fi' EXIT

if [ ! -f "$dir/paved.db" ] || [ ! -f "$dir/synth.json" ]; then
  echo "generating the organisation in $dir"
  "$paved" synth --out "$dir" --end 2026-11-01 "${sizes[@]}" --format json >/dev/null
fi
db="$dir/paved.db"
read -r since until services commits deployments incidents < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["start"], s["end"], s["services"], s["commits"], s["deployments"], s["incidents"])' "$dir/synth.json")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "organisation: $services services, $commits commits, $deployments deployments, $incidents incidents; window $since to $until"

# paved, cold: one process from start to printed JSON.
/usr/bin/time -f '%e %M' -o "$scratch/cold.time" \
  "$paved" --database-url "$db" report --since "$since" --until "$until" --format json >"$scratch/report.json"
read -r cold_s cold_kb <"$scratch/cold.time"

# paved, warm: the server keeps the analysis; each window is new to it.
"$paved" serve --database-url "$db" --listen 127.0.0.1:0 2>"$scratch/serve.log" &
server=$!
address=$(served_address "$scratch/serve.log" "$server")
report() { curl -sf -o /dev/null -w '%{time_total}' "$address/api/v1/report?since=$1&until=$until"; }
first_s=$(report "$since")
warm=()
for days in 1 2 3 4 5; do
  shifted=$(python3 -c 'import sys, datetime as d; print((d.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")) + d.timedelta(days=int(sys.argv[2]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$since" "$days")
  warm+=("$(report "$shifted")")
done
cached_s=$(report "$since")
server_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
kill "$server"; wait "$server" 2>/dev/null || true; server=
warm_s=$(printf '%s\n' "${warm[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')

# DuckDB over the same data.
parquet="$dir/parquet"
if [ ! -f "$parquet/commits.parquet" ]; then
  python3 "$root/scripts/bench/duckdb/export.py" "$db" "$parquet" | tail -n 1
fi
python3 "$root/scripts/bench/duckdb/run.py" "$parquet" --since "$since" --until "$until" --json "$scratch/duckdb.json" --quiet
read -r duck_cold duck_warm duck_load duck_mb < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["cold_seconds"], d["warm_seconds"], d["load_seconds"], d["peak_rss_mb"])' "$scratch/duckdb.json")

printf '\n%-34s %12s %14s\n' measurement seconds peak_MiB
printf '%-34s %12.3f %14.0f\n' "paved cold (paved report)" "$cold_s" "$((cold_kb / 1024))"
printf '%-34s %12.3f %14.0f\n' "paved server first request" "$first_s" "$((server_kb / 1024))"
printf '%-34s %12.3f %14s\n' "paved warm (median of 5 windows)" "$warm_s" "-"
printf '%-34s %12.3f %14s\n' "paved warm, same window (cached)" "$cached_s" "-"
printf '%-34s %12.3f %14.0f\n' "duckdb cold (Parquet)" "$duck_cold" "$duck_mb"
printf '%-34s %12.3f %14s\n' "duckdb warm (tables in memory)" "$duck_warm" "load $duck_load s"
python3 -c '
import sys
cold, warm, dcold, dwarm = map(float, sys.argv[1:5])
print(f"\nratio paved/duckdb: cold {cold / dcold:.3f}, warm {warm / dwarm:.4f}")' "$cold_s" "$warm_s" "$duck_cold" "$duck_warm"

if $compare; then
  # The proof that both compute the same definitions: every figure equal.
  extra=()
  $smoke || extra=(--services 0)
  python3 "$root/scripts/bench/duckdb/compare.py" --paved "$paved" --database "$db" \
    --duckdb-json "$scratch/duckdb.json" --since "$since" --until "$until" "${extra[@]}"
fi
