#!/usr/bin/env bash
# Set everything up (first time) and run the flagship scenario.
# Extra arguments go to `diplosim run`, e.g. scripts/run_flagship.sh --reps 50 --seed 7
# It replaces its own earlier results in results/mission_closure/ (--overwrite); a folder there
# holding files diplosim did not write is left alone and the run stops with a message.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$("$root/scripts/bootstrap.sh" | tail -n 1)"
cd "$root"
exec "$py" -m diplosim run scenarios/mission_closure.yaml --overwrite "$@"
