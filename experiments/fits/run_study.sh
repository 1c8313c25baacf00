#!/usr/bin/env bash
# The held-out study of docs/validity.md in one resumable command: the joint fit of each
# structure with each root seed (today, mandates, political_changes, staged; seeds 1945 and 7),
# the seed check of each structure, then the scores of every complete fit (diplosim heldout).
#
#   experiments/fits/run_study.sh OUT [--structures "today mandates"] [calibrate options...]
#
# Run it again after an interruption: a complete fit (its provenance says so) is skipped, an
# interrupted one is resumed (--resume), a missing one is started. Fits go to OUT/<structure>_<seed>/,
# the scores to OUT/heldout/ (which diplosim heldout replaces only if it wrote it). Options after
# OUT go to every `diplosim calibrate --joint` (for example a smaller --population to try it out);
# the study's rules fix the defaults. About 80 minutes a fit on two cores: ten to eleven hours.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
out="$1"; shift
structures="today mandates political_changes staged"
if [ "${1:-}" = "--structures" ]; then
  [ $# -ge 2 ] || { echo "run_study.sh: --structures needs a list, e.g. \"today mandates\"" >&2; exit 2; }
  structures="$2"; shift 2
fi
seeds="1945 7"
py="$("$root/scripts/bootstrap.sh" | tail -n 1)"
diplosim() { "$py" -m diplosim "$@"; }
mkdir -p "$out"

complete() {  # $1: a fit's folder; true when its provenance says the fit completed
  "$py" -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])).get("status") != "complete")' \
    "$1/provenance.json" 2>/dev/null
}

fits=()
for structure in $structures; do
  for seed in $seeds; do
    fit="$out/${structure}_${seed}"
    if complete "$fit"; then
      echo "== $fit: complete, skipped"
    elif [ -e "$fit/abc.db" ]; then
      echo "== $fit: resuming"
      diplosim calibrate --joint --structure "$structure" --seed "$seed" --out "$fit" --resume "$@"
    else
      echo "== $fit: starting"
      diplosim calibrate --joint --structure "$structure" --seed "$seed" --out "$fit" "$@"
    fi
    fits+=("$fit")
  done
  first="$out/${structure}_${seeds%% *}" last="$out/${structure}_${seeds##* }"
  echo "== seed check, $structure"
  "$py" "$root/experiments/fits/seed_check.py" "$first/posterior.parquet" "$last/posterior.parquet"
done
diplosim heldout "${fits[@]}" --out "$out/heldout"
