#!/usr/bin/env bash
# Set everything up (first time) and run the checks: ruff, mypy (strict) and the test suite.
#   scripts/test.sh              the default suite (a few minutes)
#   scripts/test.sh --slow       also the tests marked slow (fuzzing at 10,000 cases, long sweeps);
#                                this is what CI runs
# Other arguments go to pytest, e.g. scripts/test.sh -k scenario -x
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$("$root/scripts/bootstrap.sh" | tail -n 1)"
bin="$(dirname "$py")"
cd "$root"
args=()
for a in "$@"; do
  if [ "$a" = "--slow" ]; then args+=(-m "slow or not slow"); else args+=("$a"); fi
done
echo "== ruff"
"$bin/ruff" check .
echo "== mypy"
"$bin/mypy" src/diplosim
echo "== pytest"
"$py" -m pytest ${args[@]+"${args[@]}"}
