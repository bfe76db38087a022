#!/bin/sh
# Starts the version in this directory on PORT (default ${{ values.port }}),
# built first where the language builds, stopping the one that ran before:
# pavedroad's deploy target runs it, then checks /healthz.
set -eu
state="${PAVED_STATE_DIR:-${TMPDIR:-/tmp}/${{ values.name }}}"
mkdir -p "$state"
{%- if values.language == "rust" %}
cargo build --release --quiet
{%- endif %}
if [ -f "$state/pid" ]; then
  kill "$(cat "$state/pid")" 2>/dev/null || true
  sleep 0.2
fi
# setsid: the service outlives the deploy step (its runner stops what a
# step leaves in its own process group); a real host hands it to its supervisor.
VERSION="${PAVED_VERSION:-dev}" PORT="${PORT:-${{ values.port }}}" setsid nohup {% if values.language == "rust" %}./target/release/${{ values.name }}{% else %}python3 app.py{% endif %} >"$state/log" 2>&1 &
pid=$!
echo "$pid" >"$state/pid"
# Return once it leads its own session, out of reach of the step's group.
i=0
while [ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" != "$pid" ] && [ $i -lt 50 ]; do
  sleep 0.1
  i=$((i + 1))
done
