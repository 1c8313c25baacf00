"""Bargaining and negotiation, usable on its own (no diplomacy scenario needed). Imports only
``io`` (errors, YAML reading, validation): never the engine or ``scenario``.

Outcome spaces of continuous and discrete issues, linear-additive preferences, bargaining
solutions and measures, strategies and protocols that return a full trace. Example::

    import numpy as np
    from diplosim import negotiation as ng

    space = ng.OutcomeSpace((ng.Issue.continuous("share"),))
    a = ng.LinearAdditiveUtility.create(space, {"share": 1}, {"share": 1.0}, discount=0.9)
    b = ng.LinearAdditiveUtility.create(space, {"share": 1}, {"share": 0.0}, discount=0.8)
    eq = ng.RubinsteinEquilibrium()
    result = ng.run_alternating_offers(
        space, [ng.Party("A", a, eq), ng.Party("B", b, eq)], deadline=10,
        rng=np.random.default_rng(1),
    )
    result.utilities  # (0.714..., 0.285...): (1 - 0.8) / (1 - 0.9 * 0.8) for A

Every protocol is also a steppable object (``AlternatingOffers(...).step()``, ``.done``,
``.result()``). Session files (YAML) are read by :func:`load_session`; ``diplosim negotiate``
runs one. See ``docs/negotiation.md``.
"""

from diplosim.negotiation.context import Offer, ProtocolKind, Setting, Situation, View
from diplosim.negotiation.issues import Issue, IssueKind, OutcomeSpace
from diplosim.negotiation.measures import (
    BargainingSolution,
    agreement_rate,
    distance_to_pareto,
    ideal_point,
    individually_rational,
    kalai_smorodinsky_point,
    mean_rounds_to_agreement,
    nash_point,
    nash_product,
    pareto_frontier,
    social_welfare,
)
from diplosim.negotiation.protocols import (
    PROTOCOLS,
    AlternatingOffers,
    Mediator,
    MonotonicConcession,
    Outcome,
    Party,
    Session,
    SingleText,
    StackedAlternatingOffers,
    run_alternating_offers,
    run_monotonic_concession,
    run_single_text,
    run_stacked_alternating_offers,
)
from diplosim.negotiation.session import (
    SessionPlan,
    SessionSpec,
    build_session,
    load_session,
    open_session,
    parse_session,
    run_session,
)
from diplosim.negotiation.strategies import (
    STRATEGIES,
    RubinsteinEquilibrium,
    Strategy,
    TimeDependent,
    TitForTat,
    Zeuthen,
)
from diplosim.negotiation.trace import Action, EndReason, NegotiationResult, TraceEvent
from diplosim.negotiation.utilities import LinearAdditiveUtility, utility_matrix

__all__ = [
    "PROTOCOLS",
    "STRATEGIES",
    "Action",
    "AlternatingOffers",
    "BargainingSolution",
    "EndReason",
    "Issue",
    "IssueKind",
    "LinearAdditiveUtility",
    "Mediator",
    "MonotonicConcession",
    "NegotiationResult",
    "Offer",
    "Outcome",
    "OutcomeSpace",
    "Party",
    "ProtocolKind",
    "RubinsteinEquilibrium",
    "Session",
    "SessionPlan",
    "SessionSpec",
    "Setting",
    "SingleText",
    "Situation",
    "StackedAlternatingOffers",
    "Strategy",
    "TimeDependent",
    "TitForTat",
    "TraceEvent",
    "View",
    "Zeuthen",
    "agreement_rate",
    "build_session",
    "distance_to_pareto",
    "ideal_point",
    "individually_rational",
    "kalai_smorodinsky_point",
    "load_session",
    "mean_rounds_to_agreement",
    "nash_point",
    "nash_product",
    "open_session",
    "pareto_frontier",
    "parse_session",
    "run_alternating_offers",
    "run_monotonic_concession",
    "run_session",
    "run_single_text",
    "run_stacked_alternating_offers",
    "social_welfare",
    "utility_matrix",
]
