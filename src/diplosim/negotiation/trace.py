"""Session traces and results: who offered what when, the responses, and the outcome.

A :class:`NegotiationResult` carries the full trace as frozen :class:`TraceEvent` rows and turns
it into a list of dicts (:meth:`NegotiationResult.trace_records`) or a tidy pandas DataFrame
(:meth:`NegotiationResult.trace_frame`, one row per event, a ``deal.<issue>`` column per issue and
a ``u.<party>`` column per party) for storage and plotting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from diplosim.negotiation.context import ProtocolKind
from diplosim.negotiation.issues import Label, OutcomeSpace

if TYPE_CHECKING:
    import pandas as pd


class Action(StrEnum):
    """What happened in one trace event."""

    OFFER = "offer"  # a party puts a deal on the table
    ACCEPT = "accept"  # a party accepts the standing offer (or signs the text)
    REJECT = "reject"  # a party rejects the standing offer (or refuses to sign)
    PROPOSE = "propose"  # the mediator proposes a revised text
    VETO = "veto"  # a party vetoes the mediator's revision
    MOVE = "move"  # the revision is adopted: the single text moves
    AGREE = "agree"  # the session ends in agreement on ``deal``
    BREAKDOWN = "breakdown"  # the session ends without agreement


class EndReason(StrEnum):
    """Why a session stopped (or ``ongoing`` if it has not)."""

    ONGOING = "ongoing"
    AGREEMENT = "agreement"
    DEADLINE = "deadline"
    CONFLICT = "conflict"  # monotonic concession: nobody conceded


@dataclass(frozen=True)
class TraceEvent:
    """One event of a session. ``party`` is a party name or ``"mediator"``."""

    step: int
    round: int
    party: str
    action: Action
    deal: tuple[float, ...] | None = None
    utilities: tuple[float, ...] | None = None
    note: str = ""


@dataclass(frozen=True)
class NegotiationResult:
    """The outcome of a session.

    ``utilities`` are the parties' undiscounted utilities of the deal (their reservation values
    without agreement); ``discounted_utilities`` apply ``delta_i ** agreement_round``. ``rounds``
    counts the rounds played, so an offer accepted at once takes 1 round. Measures are computed on
    the session's finite deal set; the distances are NaN without agreement.
    """

    protocol: ProtocolKind
    parties: tuple[str, ...]
    issues: tuple[str, ...]
    agreed: bool
    reason: EndReason
    deal: dict[str, Label] | None
    deal_vector: tuple[float, ...] | None
    utilities: tuple[float, ...]
    discounted_utilities: tuple[float, ...]
    rounds: int
    agreement_round: int | None
    nash_deal: dict[str, Label] | None
    nash_utilities: tuple[float, ...] | None
    distance_to_nash: float
    distance_to_pareto: float
    social_welfare: float
    trace: tuple[TraceEvent, ...]
    space: OutcomeSpace

    def utility_of(self, party: str) -> float:
        return self.utilities[self.parties.index(party)]

    def trace_records(self) -> list[dict[str, Any]]:
        """The trace as a list of flat dicts: ``step``, ``round``, ``party``, ``action``, a
        ``deal.<issue>`` value (option label for discrete issues) per issue, a ``u.<party>``
        utility per party, ``note``."""
        out: list[dict[str, Any]] = []
        for ev in self.trace:
            row: dict[str, Any] = {
                "step": ev.step,
                "round": ev.round,
                "party": ev.party,
                "action": str(ev.action),
            }
            labels = None if ev.deal is None else self.space.decode(ev.deal)
            for name in self.issues:
                row[f"deal.{name}"] = None if labels is None else labels[name]
            for k, name in enumerate(self.parties):
                row[f"u.{name}"] = math.nan if ev.utilities is None else ev.utilities[k]
            row["note"] = ev.note
            out.append(row)
        return out

    def trace_frame(self) -> pd.DataFrame:
        """The trace as a pandas DataFrame, one row per event."""
        import pandas as pd

        columns = ["step", "round", "party", "action"]
        columns += [f"deal.{n}" for n in self.issues] + [f"u.{n}" for n in self.parties] + ["note"]
        return pd.DataFrame.from_records(self.trace_records(), columns=columns)

    def summary(self) -> dict[str, Any]:
        """The outcome as JSON-ready data (no trace)."""

        def num(x: float) -> float | None:
            return None if math.isnan(x) else x

        return {
            "protocol": str(self.protocol),
            "agreed": self.agreed,
            "reason": str(self.reason),
            "deal": self.deal,
            "utilities": dict(zip(self.parties, self.utilities, strict=True)),
            "discounted_utilities": dict(zip(self.parties, self.discounted_utilities, strict=True)),
            "rounds": self.rounds,
            "agreement_round": self.agreement_round,
            "nash_deal": self.nash_deal,
            "nash_utilities": None
            if self.nash_utilities is None
            else dict(zip(self.parties, self.nash_utilities, strict=True)),
            "distance_to_nash": num(self.distance_to_nash),
            "distance_to_pareto": num(self.distance_to_pareto),
            "social_welfare": self.social_welfare,
        }
