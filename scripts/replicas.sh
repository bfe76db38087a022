#!/usr/bin/env bash
# Several `paved serve` replicas on one PostgreSQL database, as production
# runs them: each listens on its own port, and any of them may take any
# request (put a load balancer in front, or point clients at each in turn).
#
#   scripts/replicas.sh postgres://postgres@127.0.0.1:5432/paved 3 [CATALOG...]
#
# Starts N replicas on 127.0.0.1:7701.. with one shared configuration from
# the environment (PAVED_GITHUB_WEBHOOK_SECRET, PAVED_SECRET_KEY,
# PAVED_LINK_KEY, PAVED_SMTP_URL, ...: every replica needs the same), prints
# their URLs, and stops them all on Ctrl-C. Kill one with `kill -9 PID` to
# see the others carry on: the test that does it and counts is
# crates/paved/tests/it/replicas.rs.
set -euo pipefail

url=${1:?usage: scripts/replicas.sh POSTGRES_URL [N] [CATALOG...]}
count=${2:-3}
shift $(( $# >= 2 ? 2 : 1 ))
paved=${PAVED_BIN:-paved}
command -v "$paved" > /dev/null || { echo "no \`$paved\` on PATH: cargo install --path crates/paved, or set PAVED_BIN" >&2; exit 2; }
# Pages' signed links must verify on every replica: one key for all.
export PAVED_LINK_KEY=${PAVED_LINK_KEY:-$(openssl rand -hex 32)}

"$paved" migrate --database-url "$url"
if (( $# > 0 )); then
    "$paved" catalog import "$@" --database-url "$url"
fi
pids=()
trap 'kill "${pids[@]}" 2> /dev/null; wait' EXIT INT TERM
for i in $(seq 1 "$count"); do
    port=$((7700 + i))
    "$paved" serve --database-url "$url" --listen "127.0.0.1:$port" 2> "replica-$i.log" &
    pids+=($!)
    echo "replica $i: http://127.0.0.1:$port (pid $!, log replica-$i.log)"
done
wait
