#!/usr/bin/env bash
# Alerts in, pages out (BENCHMARKS.md, "Paging"): the real `paved serve` on
# SQLite takes Alertmanager notifications at a steady rate, routes each to
# its service's escalation and pages its person through a generic webhook
# to a receiver in the benchmark, which times alert to first page and
# counts pages lost or doubled.
#   bash scripts/bench-paging.sh              # release build, 1000 alerts/s for 10 s
#   bash scripts/bench-paging.sh RATE SECONDS
#   bash scripts/bench-paging.sh --smoke      # debug build, 20 alerts/s for 1 s
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
# The smoke run uses the test suite's own debug build (the whole workspace,
# examples included): one package alone would resolve other features and
# compile much of the dependency tree again.
# shellcheck source=bench/lib.sh
source scripts/bench/lib.sh
if [ "${1:-}" = "--smoke" ]; then
  build_paved "$PWD" debug
  "$target/debug/examples/bench_paging" "$target/debug/paved" 20 1
else
  cargo build --quiet --release -p paved --bin paved --example bench_paging
  "$target/release/examples/bench_paging" "$target/release/paved" "${1:-1000}" "${2:-10}"
fi
