#!/usr/bin/env bash
# Latency of the web UI and the entity API under concurrent clients: the
# demo organisation at --scale N (default 10) served by a release build, then
# `wrk` with C connections (default 50) for D seconds per page. Prints p50,
# p99 and requests per second for each page. DESIGN §9 / issue budget: the
# overview's p99 at most 100 ms at 50 clients.
#
#   scripts/bench-web.sh [scale] [connections] [seconds]
#   scripts/bench-web.sh --database PATH [connections] [seconds]
#   scripts/bench-web.sh --smoke
#
# --database serves an existing SQLite database instead (e.g. the benchmark
# organisation of `paved synth`, BENCHMARKS.md). --smoke: a debug build, the
# demo at scale 1, 4 connections for 1 second per page (the CI check that the
# benchmark still runs; its figures mean nothing).
#
# Needs wrk (Debian: apt-get install wrk). The first request of each page
# builds the analysis and is timed apart ("cold"); wrk then measures the
# warm state a user meets.
set -euo pipefail

database=
profile=release
case "${1:-}" in
  --database) database=${2:?--database needs a path}; shift 2 ;;
  --smoke) profile=debug; set -- 1 4 1 ;;
esac
scale=${1:-10}
connections=${2:-50}
seconds=${3:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/scripts/bench/lib.sh"
command -v wrk >/dev/null || { echo "wrk is not installed (Debian: apt-get install wrk)" >&2; exit 2; }

target=${CARGO_TARGET_DIR:-$root/target}
build_paved "$root" "$profile"
paved="$target/$profile/paved"
scratch=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$scratch"' EXIT

if [ -z "$database" ]; then
  echo "generating the demo organisation at --scale $scale"
  "$paved" demo --scale "$scale" --seed 42 --out "$scratch/demo" --no-serve --format json >"$scratch/plan.json"
  database="$scratch/demo/paved.db"
fi
"$paved" serve --database-url "$database" --listen 127.0.0.1:0 2>"$scratch/serve.log" &
server=$!
address=$(served_address "$scratch/serve.log" "$server")
# A service to show: the demo's planted one, else the first Component.
if [ -f "$scratch/plan.json" ]; then
  service=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["platform_pipeline_service"])' "$scratch/plan.json")
else
  service=$(curl -sf "$address/api/v1/entities?kind=component&limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["metadata"]["name"])')
fi

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $connections connections, ${seconds}s per page"
printf '%-40s %10s %10s %10s %12s\n' page cold_ms p50_ms p99_ms requests/s
for page in / "/services/$service" /teams /report "/api/v1/entities?kind=component&limit=100"; do
  cold=$(curl -s -o /dev/null -w '%{time_total}' "$address$page")
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$address$page")
  ms() { # wrk's "3.30ms" / "812.00us" / "1.02s" → milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.2f", n }'
  }
  p50=$(ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
  p99=$(ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" || true)
  failed=${failed:-}
  [ -z "$errors" ] || failed=1
  printf '%-40s %10.0f %10s %10s %12s\n' "$page" "$(awk -v s="$cold" 'BEGIN {print s * 1000}')" "$p50" "$p99" "$rps"
  [ -z "$errors" ] || echo "  $errors"
done
# Any non-2xx answer or socket error fails the run (and the CI's smoke).
[ -z "${failed:-}" ]
