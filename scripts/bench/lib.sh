# Shared by the benchmark scripts (sourced, not run).

# Prints the address that `paved serve` (process PID) announced in LOG,
# waiting up to 60 s; prints the log to stderr and fails if the server
# stops or never announces one.
#
#   address=$(served_address LOG PID)
served_address() {
  local log=$1 pid=$2 address=
  for _ in $(seq 1 600); do
    address=$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -n 1 || true)
    if [ -n "$address" ]; then
      echo "$address"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$log" >&2
  return 1
}

# Builds `paved` (and the paved-ingest `walk` example) for PROFILE, debug or
# release, from the workspace root ROOT. The debug build is the test suite's
# own (`--workspace --all-targets`: the same features as `cargo test
# --workspace`), so after the tests it compiles nothing; building one
# package alone would resolve other features and compile much of the
# dependency tree a second time.
#
#   build_paved ROOT debug|release
build_paved() {
  local root=$1 profile=$2
  if [ "$profile" = release ]; then
    (cd "$root" && cargo build --quiet --locked --release -p paved -p paved-ingest --bin paved --example walk)
  else
    (cd "$root" && cargo build --quiet --locked --workspace --all-targets)
  fi
}
