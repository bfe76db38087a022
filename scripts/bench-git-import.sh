#!/usr/bin/env bash
# Times pavedroad's git history import against `git log --all --numstat
# --no-renames` on the same repository and prints both wall times (median
# and spread of RUNS, interleaved, warm page cache) and their ratio. The
# budget (issue 22): the ratio at most 0.5.
#
#   scripts/bench-git-import.sh <repo> [runs]
#   scripts/bench-git-import.sh --smoke
#
# --smoke: a debug build, one run, on a 500-commit repository generated with
# gen-history.py (the CI check that the benchmark still runs; the ratio of a
# debug build means nothing).
# Synthetic repositories to run it on: crates/paved-ingest/scripts/gen-history.py
# (SHAPE=wide for many small commits over a wide tree).
#
# It times `paved import git` (release build) into a fresh SQLite database
# each run (so every run imports the whole history; synchronous=FULL as in
# production), and also the paved-ingest `walk` example, which reads every
# commit with its line counts but stores nothing, to show reading apart from
# storing.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$root/scripts/bench/lib.sh"
target=${CARGO_TARGET_DIR:-$root/target}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
if [ "${1:-}" = --smoke ]; then
    repo="$scratch/smoke-repo"
    mkdir "$repo"
    git -C "$repo" init -q --initial-branch=main
    (cd "$repo" && python3 "$root/crates/paved-ingest/scripts/gen-history.py" . 500 42 >/dev/null \
        && git fast-import --quiet <stream.fi && git update-ref --stdin <deleted-refs.txt \
        && rm stream.fi deleted-refs.txt && git checkout -q main)
    runs=1
    profile=debug
    build_paved "$root" debug
else
    repo=${1:?usage: scripts/bench-git-import.sh <repo> [runs] | --smoke}
    runs=${2:-3}
    repo=$(cd "$repo" && pwd)
    profile=release
    build_paved "$root" release
fi
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || { echo "$repo is not a git repository" >&2; exit 2; }
paved="$target/$profile/paved"
walk="$target/$profile/examples/walk"
paved_import() { # a whole import into a fresh database
    rm -f "$scratch"/paved.db*
    "$paved" --database-url "$scratch/paved.db" import git --format json --repo "$repo_id" "$repo"
}
walk_only() { "$walk" "$repo"; }
# The repository's identity: its origin when it has one, else a made-up one
# (synthetic repositories have no remote).
repo_id=$(git -C "$repo" remote get-url origin 2>/dev/null || echo "bench.example/bench/$(basename "$repo" .git)")
case "$repo_id" in *://*|*@*:*) repo_id="bench.example/bench/$(basename "$repo" .git)" ;; esac

seconds() { # runs "$@" with output discarded, prints its wall time in seconds
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

commits=$(git -C "$repo" rev-list --all --count)
size=$(git -C "$repo" count-objects -vH | awk -F': ' '/size-pack/ {print $2}')
echo "repository: $repo ($commits commits, packs $size, $(nproc) CPUs)"

# Warm the page cache once for both, and check the import really imports.
git -C "$repo" log --all --numstat --no-renames >/dev/null 2>&1
imported=$(paved_import) || { echo "paved import git failed:" >&2; paved_import >&2 || true; exit 1; }
echo "paved import git stored: $imported"
git_times=() import_times=() walk_times=()
for ((i = 0; i < runs; i++)); do
    git_times+=("$(seconds git -C "$repo" log --all --numstat --no-renames)")
    import_times+=("$(seconds paved_import)")
    walk_times+=("$(seconds walk_only)")
done
git_median=$(median "${git_times[@]}")
import_median=$(median "${import_times[@]}")
walk_median=$(median "${walk_times[@]}")
printf 'git log --all --numstat --no-renames: median %.2f s (runs: %s)\n' "$git_median" "$(printf '%.2f ' "${git_times[@]}")"
printf 'paved import git (fresh SQLite database): median %.2f s (runs: %s)\n' "$import_median" "$(printf '%.2f ' "${import_times[@]}")"
printf 'reading only (paved-ingest walk example): median %.2f s (runs: %s)\n' "$walk_median" "$(printf '%.2f ' "${walk_times[@]}")"
ratios=()
for ((i = 0; i < runs; i++)); do ratios+=("$(echo "${import_times[$i]} / ${git_times[$i]}" | bc -l)"); done
printf 'ratio (paved import git / git log), run by run: %s\n' "$(printf '%.2f ' "${ratios[@]}")"
printf 'ratio (paved import git / git log), median of runs: %.2f\n' "$(median "${ratios[@]}")"
printf 'ratio (reading only / git log), of medians: %.2f\n' "$(echo "$walk_median / $git_median" | bc -l)"
