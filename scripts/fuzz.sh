#!/usr/bin/env bash
# Fuzzes pavedroad's parsers with cargo fuzz (libFuzzer): catalog loading
# with Locations, Module and Template parameters, every webhook normaliser,
# and golden-path rendering (fuzz/src/lib.rs says what each reads).
#
#   scripts/fuzz.sh                      # 10 million runs of every target
#   RUNS=100000 scripts/fuzz.sh webhook  # fewer runs, one target
#   JOBS=2 scripts/fuzz.sh               # two targets at once (one per core)
#
# Installs cargo-fuzz from crates.io when it is missing and builds with the
# nightly toolchain when there is one (else stable, with RUSTC_BOOTSTRAP).
# Seeds come from the repository's fixtures (scripts/fuzz-seed.py); the
# corpus grows in fuzz/corpus/ (not committed). A crash, hang (10 s) or an
# input that takes more than 2 GB is written to fuzz/artifacts/TARGET/:
# copy it into fuzz/regressions/TARGET/, which the test suite replays
# (crates/paved/tests/it/fuzz_replay.rs), and fix it. Each target's
# figures are printed at the end, as BENCHMARKS.md quotes them.
set -euo pipefail
cd "$(dirname "$0")/.."
# The fuzz build has flags of its own: keep it in fuzz/target, away from
# the project's build.
unset CARGO_TARGET_DIR

runs=${RUNS:-10000000}
jobs=${JOBS:-1}
targets=("$@")
(( ${#targets[@]} > 0 )) || targets=(catalog parameters webhook template)

if ! command -v cargo-fuzz > /dev/null; then
    cargo install cargo-fuzz --locked
fi
toolchain=()
if rustup toolchain list 2> /dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    # cargo fuzz passes nightly-only flags; stable accepts them so.
    export RUSTC_BOOTSTRAP=1
fi
python3 scripts/fuzz-seed.py
# The catalog targets write their files for every input: keep them in memory.
if [[ -z ${PAVED_FUZZ_SCRATCH:-} && -d /dev/shm ]]; then export PAVED_FUZZ_SCRATCH=/dev/shm; fi
mkdir -p fuzz/logs
# No sanitizer: the code fuzzed is safe Rust, so a bug is a panic, a hang
# or a blow-up, which libFuzzer catches without one, at full speed.
(cd fuzz && cargo "${toolchain[@]}" fuzz build -s none -O)

max_len() {
    case $1 in
        webhook) echo 131072 ;;
        *) echo 32768 ;;
    esac
}

fuzz_one() {
    local target=$1
    mkdir -p "fuzz/corpus/$target" "fuzz/regressions/$target"
    (cd fuzz && cargo "${toolchain[@]}" fuzz run -s none -O "$target" "corpus/$target" "regressions/$target" -- \
        -runs="$runs" -max_len="$(max_len "$target")" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        > "logs/$target.log" 2>&1) || { echo "fuzz: $target FAILED; see fuzz/logs/$target.log and fuzz/artifacts/$target/" >&2; return 1; }
}

pids=()
status=0
for target in "${targets[@]}"; do
    fuzz_one "$target" &
    pids+=($!)
    if (( ${#pids[@]} >= jobs )); then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

printf '%-12s %14s %10s %12s %8s\n' target runs 'runs/s' 'peak RSS MB' corpus
for target in "${targets[@]}"; do
    log=fuzz/logs/$target.log
    stat() { grep -o "stat::$1: *[0-9]*" "$log" | tail -1 | grep -o '[0-9]*$' || echo '?'; }
    printf '%-12s %14s %10s %12s %8s\n' "$target" "$(stat number_of_executed_units)" "$(stat average_exec_per_sec)" \
        "$(stat peak_rss_mb)" "$(find "fuzz/corpus/$target" -type f | wc -l)"
done
exit $status
