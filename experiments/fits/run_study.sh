#!/usr/bin/env bash
# The held-out study of docs/validity.md in one resumable command: the joint fit of each
# structure with each root seed (today, mandates, political_changes, staged, red_lines; seeds
# 1945 and 7), the seed check of each structure, then the scores of every complete fit
# (diplosim heldout).
#
#   experiments/fits/run_study.sh OUT [--structures "today mandates"] [calibrate options...]
#
# Run it again after an interruption: a complete fit (its provenance says so) is skipped, an
# interrupted one is resumed (--resume), a missing one is started; a folder holding a complete fit
# of another structure or seed stops the study (exit 2). Fits go to OUT/<structure>_<seed>/,
# the scores to OUT/heldout/ (which diplosim heldout replaces only if it wrote it). Options after
# OUT go to every `diplosim calibrate --joint` (for example a smaller --population to try it out);
# the study's rules fix the defaults. Each fit up to about 80 minutes on two cores (measured
# 45–82 before the talks' speed-up of 7 December 2026; structure 5's last 21,659 simulations
# 42 minutes after it): ten fits, most of a day.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ $# -lt 1 ] || [[ "$1" == -* ]]; then
  sed -n '2,/^[^#]/{/^#/p}' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2  # this header
  exit 2
fi
out="$1"; shift
structures="today mandates political_changes staged red_lines"
if [ "${1:-}" = "--structures" ]; then
  [ $# -ge 2 ] || { echo "run_study.sh: --structures needs a list, e.g. \"today mandates\"" >&2; exit 2; }
  structures="$2"; shift 2
fi
seeds="1945 7"
py="$("$root/scripts/bootstrap.sh" | tail -n 1)"
diplosim() { "$py" -m diplosim "$@"; }
mkdir -p "$out"

fit_state() {  # $1 a fit's folder, $2 its structure, $3 its seed: prints complete, resume or start
  # Read as diplosim reads its own folders (a provenance that is not a small regular file counts
  # as none); a complete fit of another structure or seed is an error, not something to skip.
  "$py" -c '
import sys
from pathlib import Path
from diplosim.io.outputs import read_marker
folder, structure, seed = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
marker = (read_marker(folder) if folder.is_dir() else None) or {}
if marker.get("status") == "complete":
    held = (marker.get("structure"), marker.get("root_seed"))
    if held != (structure, seed):
        print(f"run_study.sh: {folder} holds a complete fit of structure {held[0]!r}, seed "
              f"{held[1]}, not {structure!r}, seed {seed}: move it, or give another OUT",
              file=sys.stderr)
        sys.exit(2)
    print("complete")
else:
    print("resume" if (folder / "abc.db").exists() else "start")
' "$@"
}

fits=()
for structure in $structures; do
  for seed in $seeds; do
    fit="$out/${structure}_${seed}"
    state="$(fit_state "$fit" "$structure" "$seed")" || exit 2
    echo "== $fit: ${state/complete/complete, skipped}"
    case "$state" in
      resume) diplosim calibrate --joint --structure "$structure" --seed "$seed" --out "$fit" \
                --resume "$@" ;;
      start) diplosim calibrate --joint --structure "$structure" --seed "$seed" --out "$fit" "$@" ;;
    esac
    fits+=("$fit")
  done
  first="$out/${structure}_${seeds%% *}" last="$out/${structure}_${seeds##* }"
  echo "== seed check, $structure"
  "$py" "$root/experiments/fits/seed_check.py" "$first/posterior.parquet" "$last/posterior.parquet"
done
diplosim heldout "${fits[@]}" --out "$out/heldout"
