#!/usr/bin/env bash
# Deploy policy evaluation (BENCHMARKS.md, "Deploy policy"): p50/p99 of the
# checks for one service of a synthetic 1,000-service organisation.
#   bash scripts/bench-policy.sh            # release build, 100,000 evaluations
#   bash scripts/bench-policy.sh --smoke    # debug build, 200 evaluations
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
if [ "${1:-}" = "--smoke" ]; then
  cargo build --quiet -p paved-app --example bench_policy
  "$target/debug/examples/bench_policy" 200
else
  cargo build --quiet --release -p paved-app --example bench_policy
  "$target/release/examples/bench_policy" 100000
fi
