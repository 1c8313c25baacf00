#!/usr/bin/env bash
# Regenerate the research findings: run the experiments of docs/findings.md and draw their
# figures into docs/images/findings/<experiment>/. Results go to results/<experiment>/ (replaced
# only if this script wrote them before). Usage: scripts/findings.sh [experiment-name ...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh >/dev/null
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(closure_continuity closure_continuity_shared closure_continuity_posterior track2_agreement track2_agreement_posterior power_durability power_durability_shared power_durability_posterior)
for name in "${names[@]}"; do
  out="results/$name"
  if [ -e "$out/provenance.json" ]; then
    .venv/bin/diplosim sweep "experiments/$name.yaml" --out "$out" --resume --workers 2
  else
    .venv/bin/diplosim sweep "experiments/$name.yaml" --out "$out" --workers 2
  fi
  .venv/bin/diplosim plot "$out" --out "docs/images/findings/$name"
  .venv/bin/python experiments/findings_tables.py "$out"
done
