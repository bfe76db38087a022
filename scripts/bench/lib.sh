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
