#!/usr/bin/env bash
# The server's own overhead per deploy (BENCHMARKS.md, "Deploy overhead"):
# the real `paved serve` with its embedded runner deploys a target whose one
# step is `true`, one deploy after another, timed from the POST to the API
# saying it succeeded.
#   bash scripts/bench-deploy.sh                 # release build, 200 deploys on SQLite
#   bash scripts/bench-deploy.sh --postgres URL  # the same on a PostgreSQL database (emptied first)
#   bash scripts/bench-deploy.sh --smoke         # debug build, 5 deploys
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-$PWD/target}
# The smoke run uses the test suite's own debug build (the whole workspace,
# examples included): one package alone would resolve other features and
# compile much of the dependency tree again.
# shellcheck source=bench/lib.sh
source scripts/bench/lib.sh
case "${1:-}" in
  --smoke)
    build_paved "$PWD" debug
    "$target/debug/examples/bench_deploy" "$target/debug/paved" 5
    ;;
  --postgres)
    url=${2:?--postgres needs a database URL, e.g. postgres://postgres@127.0.0.1:5432/paved_bench}
    cargo build --quiet --release -p paved --bin paved --example bench_deploy
    psql "$url" -qc 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;'
    "$target/release/examples/bench_deploy" "$target/release/paved" 200 "$url"
    ;;
  *)
    cargo build --quiet --release -p paved --bin paved --example bench_deploy
    "$target/release/examples/bench_deploy" "$target/release/paved" 200
    ;;
esac
