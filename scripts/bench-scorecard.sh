#!/usr/bin/env bash
# Scorecard evaluation (BENCHMARKS.md, "Scorecards"): every service of the
# synthetic organisation on the shipped scorecard (examples/scorecards,
# nine rules, six of them behaviour over 90 days), through the server's
# `POST /api/v1/scorecards/evaluate`: once cold (the analysis loaded for it) and five
# times warm, each as of a different day, so no result is reused; the
# results are kept as the server keeps them.
#
#   scripts/bench-scorecard.sh [--smoke] [--dir DIR]
#
# DIR holds the organisation (`paved synth`; generated when missing, the
# full 1,005-service one takes about 20 minutes; default
# /tmp/paved-bench-org, shared with bench-report.sh). --smoke: a debug build
# and a tiny organisation (the CI check that the benchmark still runs; its
# figures mean nothing).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/scripts/bench/lib.sh"
smoke=false
dir=/tmp/paved-bench-org
while [ $# -gt 0 ]; do
  case $1 in
    --smoke) smoke=true ;;
    --dir) dir=${2:?--dir needs a directory}; shift ;;
    *) echo "unknown argument $1; usage: $0 [--smoke] [--dir DIR]" >&2; exit 2 ;;
  esac
  shift
done
target=${CARGO_TARGET_DIR:-$root/target}
scratch=$(mktemp -d)
server=
if $smoke; then
  build_paved "$root" debug
  paved="$target/debug/paved"
  dir="$scratch/org"
  sizes=(--services 30 --people 120 --commits 5000 --deployments 1000 --incidents 100 --months 6)
else
  build_paved "$root" release
  paved="$target/release/paved"
  sizes=()
fi
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$scratch"' EXIT

if [ ! -f "$dir/paved.db" ] || [ ! -f "$dir/synth.json" ]; then
  echo "generating the organisation in $dir"
  "$paved" synth --out "$dir" --end 2026-11-01 "${sizes[@]}" --format json >/dev/null
fi
db="$dir/paved.db"
"$paved" --database-url "$db" catalog import "$root/examples/scorecards/readiness.yaml" >/dev/null
read -r until services < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(s["end"], s["services"])' "$dir/synth.json")
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
echo "organisation: $services services; scorecards as of the days before $until"

token=$("$paved" --database-url "$db" token create --admin --name bench-scorecard --expires 1d --format json \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')
"$paved" serve --database-url "$db" --listen 127.0.0.1:0 2>"$scratch/serve.log" &
server=$!
address=$(served_address "$scratch/serve.log" "$server")
day() { python3 -c 'import sys, datetime as d; print((d.datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")) - d.timedelta(days=int(sys.argv[2]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$until" "$1"; }
score() { curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' -d "{\"at\": \"$1\"}" -o "$scratch/scores.json" -w '%{time_total}' "$address/api/v1/scorecards/evaluate"; }
cold_s=$(score "$(day 0)")
warm=()
for days in 1 2 3 4 5; do
  warm+=("$(score "$(day "$days")")")
done
server_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server/status")
kill "$server"; wait "$server" 2>/dev/null || true; server=
warm_s=$(printf '%s\n' "${warm[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
read -r scored levels < <(python3 -c '
import json, sys
cards = json.load(open(sys.argv[1]))["items"]
scored = sum(len(c["services"]) for c in cards)
spread = ", ".join("{} {}".format(d["services"], d["level"] or "none") for c in cards for d in c["distribution"])
print(scored, spread.replace(" ", "_"))' "$scratch/scores.json")
[ "$scored" -gt 0 ] || { echo "no service was scored" >&2; exit 1; }

printf '\n%-40s %10s %10s\n' measurement seconds peak_MiB
printf '%-40s %10.3f %10.0f\n' "cold (analysis loaded, then scored)" "$cold_s" "$((server_kb / 1024))"
printf '%-40s %10.3f %10s\n' "warm (median of 5 days)" "$warm_s" "-"
echo "services scored: $scored; levels: ${levels//_/ }"
