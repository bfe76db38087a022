#!/usr/bin/env bash
# Webhook ingestion throughput (DESIGN §9): signed GitHub `push` and
# `deployment_status` deliveries posted by wrk to `paved serve`, each event
# durable before its 2xx (DESIGN §8). Budget: >= 2,000 durable events/s on
# SQLite on a 2-core machine with 50 connections.
#
#   scripts/bench-ingest.sh [--smoke] [--events N] [--connections C] [--threads T]
#                           [--backend sqlite|postgres|both]
#
# For each backend: a fresh database (SQLite in a temporary directory;
# PostgreSQL database paved_bench_ingest on postgres://postgres@127.0.0.1:5432,
# created and dropped), the catalog of scripts/bench/ingest/catalog imported,
# `paved serve` started with PAVED_GITHUB_WEBHOOK_SECRET, then
#   1. the HTTP ceiling: the same wrk setup on GET /healthz (a few seconds);
#   2. the ingest run: N distinct deliveries generated from the real samples
#      in tests/fixtures/real-payloads/github and signed
#      (scripts/bench/ingest/gen_requests.py), sent once each by wrk
#      (scripts/bench/ingest/ingest.lua), the run ending when they are used up;
#   3. the check: raw events (source github) in the database = 2xx answers
#      = N, no non-2xx, no socket errors. Any difference exits 1.
#
# --smoke: a debug build and 300 events (the CI check that the benchmark and
# the no-loss guarantee still work; under a minute). Needs wrk (Debian:
# apt-get install wrk), python3, sqlite3 and, for PostgreSQL, psql.
# BENCH_KEEP=1 keeps the temporary directory (requests, logs, SQLite file);
# BENCH_PERF=FILE profiles the server during each ingest run (perf record -g).
set -euo pipefail

smoke=0
events=
connections=50
threads=2
backend=both
usage() { sed -n '7,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --events) events=${2:?}; shift ;;
    --connections) connections=${2:?}; shift ;;
    --threads) threads=${2:?}; shift ;;
    --backend) backend=${2:?}; shift ;;
    -h|--help) usage ;;
    *) echo "bench-ingest: unknown argument $1" >&2; usage ;;
  esac
  shift
done
case "$backend" in
  sqlite) backends=(sqlite) ;;
  postgres) backends=(postgres) ;;
  both) backends=(sqlite postgres) ;;
  *) echo "bench-ingest: --backend is sqlite, postgres or both" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/scripts/bench/lib.sh"
bench="$root/scripts/bench/ingest"
fixtures="$root/tests/fixtures/real-payloads/github"
for tool in wrk python3 sqlite3; do
  command -v "$tool" >/dev/null || { echo "bench-ingest: $tool is not installed (Debian: apt-get install $tool)" >&2; exit 2; }
done
pg_admin=postgres://postgres@127.0.0.1:5432
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
pg_database=paved_bench_ingest

target=${CARGO_TARGET_DIR:-$root/target}
if [ "$smoke" = 1 ]; then
  events=${events:-300}
  ceiling_seconds=2
  build_paved "$root" debug
  paved="$target/debug/paved"
  build=debug
else
  events=${events:-30000}
  ceiling_seconds=10
  build_paved "$root" release
  paved="$target/release/paved"
  build=release
fi
# The run ends when the deliveries are used up; this only bounds a run whose
# answers never all come (a lost connection), which then fails the check.
limit_seconds=$(( events / 100 + 60 ))

scratch=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  if [[ " ${backends[*]} " == *" postgres "* ]]; then
    psql "$pg_admin/postgres" -qtAc "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  [ -n "${BENCH_KEEP:-}" ] || rm -rf "$scratch"
}
[ -n "${BENCH_KEEP:-}" ] && echo "scratch: $scratch"
trap cleanup EXIT

secret=$(python3 -c 'import secrets; print(secrets.token_hex(20))')
python3 "$bench/gen_requests.py" "$fixtures" "$scratch/requests" "$events" "$threads" "$secret" 8

cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); paved $build build"
echo "load: wrk -t$threads -c$connections, $events signed deliveries (each sent once), HTTP ceiling: GET /healthz for ${ceiling_seconds}s"
echo "budget (DESIGN §9): >= 2,000 durable events/s on SQLite, 2 cores, 50 connections"

# wrk's "812.00us" / "3.30ms" / "1.02s" in milliseconds.
ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[0-9]s$/ && v !~ /ms$/) n *= 1000; printf "%.2f", n }'; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $2"; }

failures=0
run_backend() {
  local name=$1 url count durability
  case "$name" in
    sqlite)
      mkdir -p "$scratch/sqlite"
      url="$scratch/sqlite/paved.db"
      ;;
    postgres)
      command -v psql >/dev/null || { echo "bench-ingest: psql is not installed" >&2; exit 2; }
      psql "$pg_admin/postgres" -qtAc "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null
      psql "$pg_admin/postgres" -qtAc "CREATE DATABASE $pg_database" >/dev/null
      url="$pg_admin/$pg_database"
      ;;
  esac
  PAVED_DATABASE_URL=$url "$paved" catalog import "$bench/catalog" >"$scratch/import-$name.log" 2>&1 \
    || { cat "$scratch/import-$name.log" >&2; exit 1; }
  PAVED_DATABASE_URL=$url PAVED_GITHUB_WEBHOOK_SECRET=$secret \
    "$paved" serve --listen 127.0.0.1:0 2>"$scratch/serve-$name.log" &
  server=$!
  local address
  address=$(served_address "$scratch/serve-$name.log" "$server")

  case "$name" in
    sqlite)
      # journal_mode is kept in the file; synchronous is set per connection
      # by the store (crates/paved-store/src/sqlite.rs), not stored.
      durability="journal_mode=$(sqlite3 "$url" 'PRAGMA journal_mode'), synchronous=$(grep -o 'SqliteSynchronous::[A-Za-z]*' "$root/crates/paved-store/src/sqlite.rs" | head -n 1 | sed 's/.*:://' | tr a-z A-Z) (set by the store on open), one commit per batch (group commit)"
      ;;
    postgres)
      durability="synchronous_commit=$(psql "$url" -tAc 'SHOW synchronous_commit'), fsync=$(psql "$url" -tAc 'SHOW fsync'), wal_sync_method=$(psql "$url" -tAc 'SHOW wal_sync_method'), one commit per batch (group commit)"
      ;;
  esac

  local ceiling_out ceiling
  ceiling_out=$(wrk -t"$threads" -c"$connections" -d"${ceiling_seconds}s" --latency "$address/healthz")
  ceiling=$(awk '/^Requests\/sec/ {print $2}' <<<"$ceiling_out")

  rm -f "$scratch/done"
  # BENCH_PERF=FILE: a CPU profile of the server during the ingest run
  # (perf record -g), written to FILE.sqlite or FILE.postgres.
  local perf=
  if [ -n "${BENCH_PERF:-}" ]; then
    perf record -g -F 999 -p "$server" -o "$BENCH_PERF.$name" >/dev/null 2>&1 &
    perf=$!
  fi
  local out line
  out=$(wrk -t"$threads" -c"$connections" -d"${limit_seconds}s" --latency -s "$bench/ingest.lua" \
    "$address" -- "$scratch/requests" "$scratch/done" "$threads")
  if [ -n "$perf" ]; then kill -INT "$perf"; wait "$perf" 2>/dev/null || true; fi
  line=$(grep '^BENCH ' <<<"$out" || true)
  [ -n "$line" ] || { echo "$out" >&2; echo "bench-ingest: wrk printed no totals" >&2; exit 1; }

  # Counted while the server still runs: every 2xx must already be committed.
  case "$name" in
    sqlite) count=$(sqlite3 "$url" "SELECT COUNT(*) FROM raw_events WHERE source = 'github'")
            outcomes=$(sqlite3 -separator = "$url" "SELECT o.status, COUNT(*) FROM raw_events e LEFT JOIN raw_event_outcomes o ON o.event_id = e.id GROUP BY o.status ORDER BY o.status" | paste -sd ' ') ;;
    postgres) count=$(psql "$url" -tAc "SELECT COUNT(*) FROM raw_events WHERE source = 'github'")
              outcomes=$(psql "$url" -tAF = -c "SELECT o.status, COUNT(*) FROM raw_events e LEFT JOIN raw_event_outcomes o ON o.event_id = e.id GROUP BY o.status ORDER BY o.status" | paste -sd ' ') ;;
  esac
  kill "$server"
  wait "$server" 2>/dev/null || true
  server=

  local requests ok non2xx rate seconds p50 p99 errors
  requests=$(field requests "$line"); ok=$(field ok "$line"); non2xx=$(field non2xx "$line")
  rate=$(field rate "$line"); seconds=$(field seconds "$line")
  p50=$(field p50_ms "$line"); p99=$(field p99_ms "$line")
  errors=$(( $(field connect_errors "$line") + $(field read_errors "$line") + $(field write_errors "$line") + $(field timeouts "$line") ))

  echo
  echo "== $name ($durability)"
  printf '  HTTP ceiling  GET /healthz: %s requests/s, p50 %s ms, p99 %s ms\n' "$ceiling" \
    "$(ms "$(awk '$1 == "50%" {print $2}' <<<"$ceiling_out")")" "$(ms "$(awk '$1 == "99%" {print $2}' <<<"$ceiling_out")")"
  printf '  ingest        %s durable events/s (%s 2xx in %ss), p50 %s ms, p99 %s ms\n' "$rate" "$ok" "$seconds" "$p50" "$p99"
  printf '  ratio         ingest rate / HTTP ceiling = %s\n' "$(awk -v a="$rate" -v b="$ceiling" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')"
  printf '  check         sent %s, 2xx %s, non-2xx %s (%s), socket errors %s; raw events (source github) in the database: %s; outcomes: %s\n' \
    "$requests" "$ok" "$non2xx" "$(field statuses "$line")" "$errors" "$count" "$outcomes"
  local verdict=ok
  if [ "$ok" != "$requests" ] || [ "$non2xx" != 0 ] || [ "$errors" != 0 ]; then
    verdict="FAILED: not every delivery was acknowledged"
  fi
  if [ "$count" -lt "$ok" ]; then
    verdict="FAILED: $(( ok - count )) acknowledged deliveries are missing from the database"
  elif [ "$count" != "$ok" ]; then
    verdict="FAILED: the database holds $count events for $ok acknowledgements"
  fi
  echo "  result        $verdict"
  [ "$verdict" = ok ] || failures=$(( failures + 1 ))
  if [ "$name" = sqlite ] && [ "$smoke" = 0 ]; then
    awk -v r="$rate" 'BEGIN { exit !(r >= 2000) }' \
      && echo "  budget        met (>= 2,000 events/s)" \
      || echo "  budget        NOT met (< 2,000 events/s)"
  fi
  if [ "$name" = postgres ]; then
    psql "$pg_admin/postgres" -qtAc "DROP DATABASE IF EXISTS $pg_database WITH (FORCE)" >/dev/null
  fi
}

for name in "${backends[@]}"; do
  run_backend "$name"
done
[ "$failures" = 0 ] || { echo "bench-ingest: $failures backend(s) failed the check" >&2; exit 1; }
