"""Win-sets of one dyad's talks: each party's acceptable set per issue (structure 5).

Rules (docs/model.md, section 3.5c): a party's red line on an issue is a bound (continuous:
``at_least b`` / ``at_most b``) or excluded options (discrete). A line relaxes by ``rho`` issue
ranges, where ``rho`` grows at the shared ``relaxation`` rate per unit of hurting-stalemate time
since the line was stated (tension at or above the ripeness threshold ``hurting``; Zartman
2000) and moves by ``leader_step`` at each new leader of the party's state (``+`` for a
``conciliatory_leader``, ``-`` for a ``hardline_leader``):

    at_least b  ->  b - rho * (high - low)         at_most b  ->  b + rho * (high - low)
    exclude X   ->  lapses once rho >= 1

A dated ``red_line`` event replaces the party's line on its issue (``rho`` back to 0) or lifts
it. Only lines the file states exist: a party with none on an issue accepts any value there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from diplosim.negotiation.issues import IssueKind, OutcomeSpace
from diplosim.negotiation.utilities import Limit
from diplosim.scenario.schema import WinSetsSpec


@dataclass
class Line:
    """One party's red line on one issue, in the issue's internal coordinates."""

    at_least: float | None
    at_most: float | None
    excluded: tuple[int, ...]
    since: float  # the hurting time when it was stated (or the run began)
    steps: float = 0.0  # leader steps since it was stated (+ conciliatory, - hardline)


class WinSets:
    """The red lines of the two parties of a session (``parties``: their names, in the
    session's order) on ``space``'s issues, and how far they have moved."""

    def __init__(self, space: OutcomeSpace, parties: tuple[str, ...], red_lines: list[Any],
                 sizes: WinSetsSpec) -> None:
        self.space = space
        self.parties = parties
        self.sizes = sizes
        self.lines: dict[tuple[int, int], Line] = {}
        self.hurting_time = 0.0  # time with tension >= hurting since the run began
        for line in red_lines:
            self.state(line)

    def state(self, line: Any, lifted: bool = False) -> None:
        """A red line stated now (a ``RedLineSpec`` or a ``red_line`` event), or lifted."""
        key = (self.parties.index(line.party), self.space.index(line.issue))
        if lifted:
            self.lines.pop(key, None)
            return
        issue = self.space.issues[key[1]]
        excluded = tuple(int(issue.encode(v)) for v in (line.exclude or ()))
        self.lines[key] = Line(line.at_least, line.at_most, excluded, self.hurting_time)

    def leader(self, party: int, sign: int) -> None:
        """A new leader of ``party``'s state: its lines in force move by one leader step."""
        for (p, _), line in self.lines.items():
            if p == party:
                line.steps += sign

    def relaxed(self, line: Line) -> float:
        """rho: how many issue ranges the line has moved."""
        s = self.sizes
        return s.relaxation * (self.hurting_time - line.since) + s.leader_step * line.steps

    def limits(self, party: int, issues: tuple[str, ...] | None = None) -> tuple[Limit, ...]:
        """``party``'s lines as :class:`~diplosim.negotiation.utilities.Limit`, numbered on
        ``issues`` (a partial agreement's; None: every issue of the space)."""
        names = self.space.names if issues is None else issues
        out = []
        for (p, k), line in self.lines.items():
            name = self.space.names[k]
            if p != party or name not in names:
                continue
            issue, rho = self.space.issues[k], self.relaxed(line)
            if issue.kind is IssueKind.DISCRETE:
                if line.excluded and rho < 1.0:
                    out.append(Limit(names.index(name), excluded=line.excluded))
                continue
            move = rho * issue.span
            low = -float("inf") if line.at_least is None else line.at_least - move
            high = float("inf") if line.at_most is None else line.at_most + move
            out.append(Limit(names.index(name), low=low, high=high))
        return tuple(out)
