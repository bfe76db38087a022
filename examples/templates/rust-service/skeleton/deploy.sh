#!/bin/sh
# Builds the version in this directory and starts it on PORT (default
# ${{ values.port }}), stopping the one that ran before: pavedroad's deploy
# target runs it, then checks /healthz.
set -eu
state="${PAVED_STATE_DIR:-${TMPDIR:-/tmp}/${{ values.name }}}"
mkdir -p "$state"
cargo build --release --quiet
if [ -f "$state/pid" ]; then
  kill "$(cat "$state/pid")" 2>/dev/null || true
  sleep 0.2
fi
VERSION="${PAVED_VERSION:-dev}" PORT="${PORT:-${{ values.port }}}" nohup ./target/release/${{ values.name }} >"$state/log" 2>&1 &
echo $! >"$state/pid"
