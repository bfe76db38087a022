#!/usr/bin/env bash
# The smoke version of every benchmark of BENCHMARKS.md, at a tiny size and on
# debug builds, so that none of them rots: each must run to the end and pass
# its own checks (nothing lost, the same figures as DuckDB). The figures they
# print mean nothing. `.ci/run` runs this.
set -euo pipefail
cd "$(dirname "$0")"
echo "smoke: git import"; bash bench-git-import.sh --smoke
echo "smoke: webhook ingestion"; bash bench-ingest.sh --smoke
echo "smoke: report against DuckDB"; bash bench-report.sh --smoke
echo "smoke: web pages under load"; bash bench-web.sh --smoke
echo "smoke: deploy policy"; bash bench-policy.sh --smoke
echo "smoke: deploy overhead"; bash bench-deploy.sh --smoke
echo "smoke: paging"; bash bench-paging.sh --smoke
