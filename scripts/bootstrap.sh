#!/usr/bin/env bash
# Set up diplosim on this machine: find a Python >= 3.12, create .venv, install the package
# with all its extras (viz, dask, calibrate, sensitivity) and its test and documentation tools.
# Safe to run again: it reinstalls only when pyproject.toml changed.
# Usage: scripts/bootstrap.sh            (prints the venv's python path on the last line)
#        scripts/bootstrap.sh 3.13       a venv of that Python version, .venv-3.13
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${1:-}"  # a supported minor version (3.12, 3.13), or empty: any >= 3.12
case "$version" in
  "") venv="$root/.venv" ;;
  3.1[2-9]) venv="$root/.venv-$version" ;;
  *) echo "bootstrap.sh: unsupported Python version '$version' (3.12 or newer)" >&2; exit 3 ;;
esac

python_ok() {  # $1: interpreter; true when it runs, is >= 3.12 and (if asked) the version asked
  "$1" -c 'import sys; v = sys.argv[1]
ok = sys.version_info >= (3, 12) and (not v or "%d.%d" % sys.version_info[:2] == v)
sys.exit(0 if ok else 1)' "$version" >/dev/null 2>&1
}

find_python() {
  if [ -n "${DIPLOSIM_PYTHON:-}" ] && python_ok "$DIPLOSIM_PYTHON"; then
    echo "$DIPLOSIM_PYTHON"; return 0
  fi
  local c
  # Prefer 3.12 (the version the project is tested on), then any newer one.
  for c in ${version:+python$version} python3.12 python3.13 python3 python; do
    if command -v "$c" >/dev/null 2>&1 && python_ok "$(command -v "$c")"; then
      command -v "$c"; return 0
    fi
  done
  local pyenv_root="${PYENV_ROOT:-}"
  if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root="$(pyenv root 2>/dev/null || true)"
  fi
  [ -z "$pyenv_root" ] && pyenv_root="$HOME/.pyenv"
  for c in $(ls -d "$pyenv_root"/versions/3.12* 2>/dev/null | sort -rV) \
           $(ls -d "$pyenv_root"/versions/3.1[3-9]* 2>/dev/null | sort -V); do
    for exe in "$c"/bin/python3.1[2-9] "$c"/bin/python3; do
      if [ -x "$exe" ] && python_ok "$exe"; then echo "$exe"; return 0; fi
    done
  done
  return 1
}

if [ ! -x "$venv/bin/python" ] || ! python_ok "$venv/bin/python"; then
  if ! py="$(find_python)"; then
    echo "diplosim needs Python ${version:->= 3.12}, and none was found (looked on PATH for" >&2
    echo "python3.12, python3.13, python3, python, and in pyenv's versions folder)." >&2
    echo "Install one (e.g. 'pyenv install 3.12') or set DIPLOSIM_PYTHON=/path/to/python3.12." >&2
    exit 3
  fi
  echo "setting up .venv with $py ($("$py" --version 2>&1))" >&2
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi

stamp="$venv/.diplosim-installed"
want="$(cat "$root/pyproject.toml" | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing diplosim and its dependencies into $(basename "$venv") (first time: a few minutes)" >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$root[all,test,docs]" >&2
  echo "$want" > "$stamp"
fi

# The browser app's JavaScript/CSS, fetched once from the npm registry so that `diplosim viz`
# works offline (src/diplosim/viz/assets.py). Without npm the app still works online.
assets_stamp="$venv/.diplosim-assets"
assets_want="$(sha256sum "$root/src/diplosim/viz/assets.py" | cut -d' ' -f1)"
if [ ! -f "$assets_stamp" ] || [ "$(cat "$assets_stamp")" != "$assets_want" ]; then
  if "$venv/bin/python" -m diplosim.viz.assets >&2; then
    echo "$assets_want" > "$assets_stamp"
  fi
fi
echo "$venv/bin/python"
