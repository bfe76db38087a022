#!/usr/bin/env bash
# Times pavedroad's git history import against `git log --all --numstat
# --no-renames` on the same repository and prints both wall times (best of
# RUNS, interleaved, warm page cache) and their ratio. DESIGN §9: the ratio
# should be at most 1.0.
#
#   scripts/bench-git-import.sh <repo> [runs]
#
# Synthetic repositories to run it on: crates/paved-ingest/scripts/gen-history.py.
#
# By default the import is the paved-ingest `walk` example (reads every
# commit with per-file line counts, stores nothing). Set PAVED_IMPORT_CMD to
# time another command instead; `{repo}` in it is replaced by the path, e.g.
#   PAVED_IMPORT_CMD='target/release/paved import git {repo} --format json' \
#     scripts/bench-git-import.sh ../bench-repos/synth20k
set -euo pipefail

repo=${1:?usage: scripts/bench-git-import.sh <repo> [runs]}
runs=${2:-3}
repo=$(cd "$repo" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
git -C "$repo" rev-parse --git-dir >/dev/null 2>&1 || { echo "$repo is not a git repository" >&2; exit 2; }

if [[ -n "${PAVED_IMPORT_CMD:-}" ]]; then
    import_cmd=${PAVED_IMPORT_CMD//\{repo\}/$repo}
    import_name=$import_cmd
else
    target=${CARGO_TARGET_DIR:-$root/target}
    (cd "$root" && cargo build --quiet --release -p paved-ingest --example walk)
    import_cmd="$target/release/examples/walk $repo"
    import_name="paved-ingest walk example (release)"
fi

seconds() { # runs "$@" with output discarded, prints its wall time in seconds
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}
best() { printf '%s\n' "$@" | sort -g | head -n1; }

commits=$(git -C "$repo" rev-list --all --count)
size=$(git -C "$repo" count-objects -vH | awk -F': ' '/size-pack/ {print $2}')
echo "repository: $repo ($commits commits, packs $size, $(nproc) CPUs)"

# Warm the page cache once for both.
git -C "$repo" log --all --numstat --no-renames >/dev/null 2>&1
git_times=() import_times=()
for ((i = 0; i < runs; i++)); do
    git_times+=("$(seconds git -C "$repo" log --all --numstat --no-renames)")
    # shellcheck disable=SC2086 # the command is split into words on purpose
    import_times+=("$(seconds $import_cmd)")
done
git_best=$(best "${git_times[@]}")
import_best=$(best "${import_times[@]}")
printf 'git log --all --numstat --no-renames: %.2f s (runs: %s)\n' "$git_best" "$(printf '%.2f ' "${git_times[@]}")"
printf '%s: %.2f s (runs: %s)\n' "$import_name" "$import_best" "$(printf '%.2f ' "${import_times[@]}")"
printf 'ratio (import / git): %.2f\n' "$(echo "$import_best / $git_best" | bc -l)"
