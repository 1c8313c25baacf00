"""Print a sweep's outcomes per design point as a Markdown table: mean ± sd [5th–95th
percentile] over replications, and for every outcome the number of runs where it is defined
(first_agreement is NaN when no agreement was reached). Used for docs/findings.md:

    python experiments/findings_tables.py results/closure_continuity
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from diplosim.experiment.store import read_sweep


def cell(values: pd.Series) -> str:
    v = values.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return "— (0)"
    lo, hi = np.quantile(v, [0.05, 0.95])
    sd = v.std(ddof=1) if v.size > 1 else 0.0
    return f"{v.mean():.2f} ± {sd:.2f} [{lo:.2f}–{hi:.2f}] ({v.size})"


def table(path: str) -> str:
    sweep = read_sweep(path)
    runs = sweep.ok
    params = [p for p in sweep.parameters if runs[p].nunique() > 1]
    rows = []
    for key, group in runs.groupby(params, sort=True):
        values = key if isinstance(key, tuple) else (key,)
        rows.append([*(f"{v:g}" for v in values), *(cell(group[o]) for o in sweep.outcomes)])
    head = [*params, *sweep.outcomes]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    n = runs.groupby(params).size()
    return (f"{sweep.provenance['experiment']['name']}: {len(runs)} runs, "
            f"{int(n.min())}–{int(n.max())} replications per point; "
            "mean ± sd [5th–95th percentile] (runs where defined)\n\n" + "\n".join(lines))


if __name__ == "__main__":
    for folder in sys.argv[1:]:
        print(table(folder), end="\n\n")
