#!/usr/bin/env bash
# Build the documentation site from docs/ (Sphinx, MyST, PyData theme) into docs/_build/html,
# offline, with every warning an error (broken cross-references and missing pages fail), then
# check every link inside the site, the command reference and the API entries.
#   scripts/docs.sh            then open docs/_build/html/index.html
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="$("$root/scripts/bootstrap.sh" | tail -n 1)"
cd "$root"
out="docs/_build/html"
echo "== docs: the generated references are current"
"$py" - <<'PY'
import sys
from pathlib import Path
from diplosim.commands.docgen import references
stale = [n for n, text in references().items()
         if Path("docs/reference", n).read_text(encoding="utf-8") != text]
if stale:
    sys.exit(f"docs/reference/{', '.join(stale)} out of date: "
             "run python -m diplosim.commands.docgen docs/reference")
PY
echo "== docs: sphinx-build -W into $out"
"$py" -m sphinx -W --keep-going -q -b html -d docs/_build/doctrees docs "$out"
echo "== docs: links inside the site"
"$py" scripts/check_site.py "$out"
echo "site: $out/index.html"
