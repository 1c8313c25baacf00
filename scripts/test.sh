#!/usr/bin/env bash
# Set everything up (first time) and run the checks: ruff, mypy (strict), import-linter (the
# layering) and the test suite.
#   scripts/test.sh              the default suite (a few minutes)
#   scripts/test.sh --slow       also the tests marked slow (fuzzing at 2,500 cases per loader,
#                                long sweeps, recovery fits); this is what CI runs
#   scripts/test.sh --python 3.13  the same on another supported Python (its own .venv-3.13)
# The tests run on every core (pytest-xdist, -n auto); other arguments go to pytest and come
# after, e.g. scripts/test.sh -k scenario -x, or -n 0 for one process (pdb, -s)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
args=(-n auto --dist worksteal)
version=""
while [ $# -gt 0 ]; do
  case "$1" in
    --slow) args+=(-m "slow or not slow") ;;
    --python) version="${2:?--python needs a version, e.g. 3.13}"; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done
py="$("$root/scripts/bootstrap.sh" $version | tail -n 1)"
bin="$(dirname "$py")"
cd "$root"
echo "== Python $("$py" -c 'import platform; print(platform.python_version())')"
echo "== ruff"
"$bin/ruff" check .
echo "== mypy"
"$bin/mypy" src/diplosim
echo "== import-linter (the layering contracts in pyproject.toml)"
"$bin/lint-imports" --no-cache
echo "== pytest"
"$py" -m pytest ${args[@]+"${args[@]}"}
