#!/usr/bin/env bash
# Set everything up (first time) and run the checks: ruff, mypy (strict) and the test suite.
# Extra arguments go to pytest, e.g. scripts/test.sh -k scenario -x
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$("$root/scripts/bootstrap.sh" | tail -n 1)"
bin="$(dirname "$py")"
cd "$root"
echo "== ruff"
"$bin/ruff" check .
echo "== mypy"
"$bin/mypy" src/diplosim
echo "== pytest"
"$py" -m pytest "$@"
