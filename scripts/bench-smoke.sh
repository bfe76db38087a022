#!/usr/bin/env bash
# The smoke version of every benchmark of BENCHMARKS.md, at a tiny size and on
# debug builds, so that none of them rots: each must run to the end and pass
# its own checks (nothing lost, the same figures as DuckDB). The figures they
# print mean nothing. `.ci/run` runs this.
set -euo pipefail
cd "$(dirname "$0")"
# Each smoke run with its duration, so that a slow one shows.
smoke() {
  local what=$1 started
  shift
  echo "smoke: $what"
  started=$(date +%s)
  bash "$@" --smoke
  echo "smoke: $what took $(($(date +%s) - started)) s"
}
smoke "git import" bench-git-import.sh
smoke "webhook ingestion" bench-ingest.sh
smoke "report against DuckDB" bench-report.sh
smoke "web pages under load" bench-web.sh
smoke "deploy policy" bench-policy.sh
smoke "deploy overhead" bench-deploy.sh
smoke "paging" bench-paging.sh
smoke "scorecards" bench-scorecard.sh
