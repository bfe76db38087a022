#!/usr/bin/env bash
# Deploy policy evaluation (BENCHMARKS.md, "Deploy policy"): p50/p99 of the
# checks for one service of a synthetic 1,000-service organisation.
#   bash scripts/bench-policy.sh            # release build, 100,000 evaluations
#   bash scripts/bench-policy.sh --smoke    # debug build, 200 evaluations
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
  "$target/debug/examples/bench_policy" 200
else
  cargo build --quiet --release -p paved-app --example bench_policy
  "$target/release/examples/bench_policy" 100000
fi
