"""The seed check of a joint fit (docs/calibration.md): each parameter's posterior median under
one root seed inside the other's 50% interval, both ways. Prints a Markdown table.

    python experiments/fits/seed_check.py FIT_A/posterior.parquet FIT_B/posterior.parquet
"""

from __future__ import annotations

import sys

import pandas as pd

from diplosim.analysis.abc_fit import weighted_quantile


def quartiles(frame: pd.DataFrame, column: str) -> list[float]:
    return [weighted_quantile(frame[column], frame["weight"], q) for q in (0.25, 0.5, 0.75)]


def main() -> None:
    a, b = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
    print("| parameter | A: median [50%] | B: median [50%] | each inside the other's 50% |")
    print("|---|---|---|---|")
    passed = True
    for column in (c for c in a.columns if c != "weight"):
        qa, qb = quartiles(a, column), quartiles(b, column)
        ok = qa[0] <= qb[1] <= qa[2] and qb[0] <= qa[1] <= qb[2]
        passed &= ok
        print(f"| {column.removeprefix('parameters.')} | {qa[1]:.3g} [{qa[0]:.3g}, {qa[2]:.3g}] "
              f"| {qb[1]:.3g} [{qb[0]:.3g}, {qb[2]:.3g}] | {'yes' if ok else 'no'} |")
    print("seed check:", "passed" if passed else "failed")


if __name__ == "__main__":
    main()
