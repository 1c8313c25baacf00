"""The negotiation session file: one negotiation in YAML (see ``docs/negotiation.md``).

A session document is validated into a frozen :class:`SessionSpec` (pydantic) and then
cross-checked against itself (issue names, ideal points, which strategies a protocol allows),
every problem raised as :class:`~diplosim.io.errors.InputError` naming the file, line and dotted
path. :func:`load_session` returns a :class:`SessionPlan` of library objects;
:func:`build_session` makes a steppable session and :func:`run_session` runs it.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pydantic
from pydantic import BaseModel, ConfigDict, Field

from diplosim.io.errors import InputError
from diplosim.io.validation import problems_from, validate_document
from diplosim.io.yamlio import Document, parse_yaml, read_yaml, require_mapping
from diplosim.negotiation.context import ProtocolKind
from diplosim.negotiation.issues import MAX_GRID, Issue, IssueKind, OutcomeSpace
from diplosim.negotiation.planned import (
    PlannedAlternatingOffers,
    PlannedSingleText,
    plannable,
    plannable_text,
)
from diplosim.negotiation.protocols import (
    AlternatingOffers,
    Mediator,
    MonotonicConcession,
    Party,
    Session,
    SingleText,
    StackedAlternatingOffers,
)
from diplosim.negotiation.strategies import (
    RubinsteinEquilibrium,
    Strategy,
    TimeDependent,
    TitForTat,
    Zeuthen,
)
from diplosim.negotiation.trace import NegotiationResult
from diplosim.negotiation.utilities import LinearAdditiveUtility
from diplosim.plugins import PluginError, PluginInfo, clash, load

Ident = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=64)]
Value = str | int | float
StrategyKind = Literal[
    "time_dependent", "boulware", "linear", "conceder", "tit_for_tat", "zeuthen", "rubinstein"
]

# Which strategies each protocol accepts in a session file.
ALLOWED: dict[ProtocolKind, tuple[str, ...]] = {
    ProtocolKind.ALTERNATING_OFFERS: (
        "time_dependent",
        "boulware",
        "linear",
        "conceder",
        "tit_for_tat",
        "rubinstein",
    ),
    ProtocolKind.MONOTONIC_CONCESSION: (
        "zeuthen",
        "time_dependent",
        "boulware",
        "linear",
        "conceder",
        "tit_for_tat",
    ),
    ProtocolKind.SINGLE_TEXT: ("time_dependent", "boulware", "linear", "conceder"),
    ProtocolKind.STACKED_ALTERNATING_OFFERS: (
        "time_dependent",
        "boulware",
        "linear",
        "conceder",
        "tit_for_tat",
    ),
}
BILATERAL = (ProtocolKind.ALTERNATING_OFFERS, ProtocolKind.MONOTONIC_CONCESSION)
DEFAULT_E = {"boulware": 0.2, "linear": 1.0, "conceder": 5.0}
STRATEGY_KINDS: tuple[str, ...] = typing.get_args(StrategyKind)
BUILTIN_PROTOCOLS: dict[ProtocolKind, type[Session]] = {
    ProtocolKind.ALTERNATING_OFFERS: AlternatingOffers,
    ProtocolKind.MONOTONIC_CONCESSION: MonotonicConcession,
    ProtocolKind.SINGLE_TEXT: SingleText,
    ProtocolKind.STACKED_ALTERNATING_OFFERS: StackedAlternatingOffers,
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IssueSpec(Strict):
    """One issue: continuous in ``[low, high]`` or discrete with ordered ``values``."""

    name: Ident = Field(description="Issue name used by weights and ideal points.")
    kind: IssueKind = Field(IssueKind.CONTINUOUS, description="continuous or discrete.")
    low: float | None = Field(None, description="Lower end (continuous; default 0).")
    high: float | None = Field(None, description="Upper end (continuous; default 1).")
    values: list[Value] | None = Field(None, description="Options, in order (discrete).")
    matter: Literal["settlement", "ceasefire", "humanitarian"] = Field(
        "settlement", description="In a scenario: what the issue is about (a ceasefire, a "
        "humanitarian pause): the red-lines structure closes partial agreements on issues of a "
        "matter other than settlement (docs/model.md 3.5c).")
    red_lines_only: bool = Field(
        False, description="In a scenario: an issue added to the file for the red-lines "
        "structure (docs/validity.md), which the talks of every other structure leave out, so "
        "that they read the file as before.")


class StrategySpec(Strict):
    """A party's strategy; ``e`` and ``k`` only for the time-dependent family; ``params`` only
    for a strategy plug-in."""

    kind: StrategyKind | Ident = Field(
        union_mode="left_to_right", description="Strategy (which ones a protocol allows: docs), "
        "or the registered name of an installed strategy plug-in (diplosim plugins).")
    e: float | None = Field(None, gt=0, description="Concession shape (Faratin et al. 1998).")
    k: float | None = Field(None, ge=0, le=1, description="Initial concession.")
    params: dict[Ident, Any] | None = Field(
        None, description="A strategy plug-in's own parameters (diplosim plugins lists them).")


class PartySpec(Strict):
    """One negotiating party and its preferences."""

    name: Ident = Field(description="Party name (in a scenario: a state id).")
    weights: dict[str, Annotated[float, Field(ge=0)]] = Field(
        description="Salience of each issue (normalised to sum 1)."
    )
    ideal: dict[str, Value] = Field(default_factory=dict, description="Ideal value per issue.")
    scores: dict[str, dict[Value, Annotated[float, Field(ge=0, le=1)]]] = Field(
        default_factory=dict, description="Discrete issues: a score in [0, 1] per option."
    )
    reservation: float = Field(0.0, ge=0, lt=1, description="Utility of no agreement.")
    discount: float = Field(1.0, gt=0, le=1, description="Per-round discount factor.")
    strategy: StrategySpec = Field(description="How it makes and accepts offers.")


class MediatorSpec(Strict):
    """The mediator of a single-text session."""

    step: float = Field(0.1, gt=0, description="Revision step, as a fraction of an issue's range.")
    start: Literal["centre", "nash"] | dict[str, Value] = Field(
        "centre", description="First text: the centre, the Nash point, or given values.")


class SessionSpec(Strict):
    """One negotiation session."""

    name: str = Field("", description="Session name.")
    description: str = Field("", description="What it models.")
    protocol: ProtocolKind | Ident = Field(
        union_mode="left_to_right", description="Negotiation protocol, or the registered name "
        "of an installed protocol plug-in.")
    deadline: int = Field(ge=1, le=100_000, description="Maximum number of rounds.")
    seed: int = Field(0, ge=0, description="Seed of the session's random generator.")
    resolution: int = Field(101, ge=2, le=100_001, description="Grid points per continuous issue.")
    first: str | None = Field(None, description="Alternating offers: who proposes first.")
    issues: list[IssueSpec] = Field(min_length=1, description="What is negotiated.")
    parties: list[PartySpec] = Field(min_length=2, description="Who negotiates.")
    mediator: MediatorSpec | None = Field(None, description="single_text: the mediator.")


@dataclass(frozen=True)
class SessionPlan:
    """A validated session file as library objects, ready to run. ``protocol`` is the protocol
    (built in, or a plug-in's class), ``kind`` the built-in protocol whose rules its offers
    follow; ``plugins`` the plug-ins the session uses."""

    spec: SessionSpec
    space: OutcomeSpace
    parties: tuple[Party, ...]
    mediator: Mediator | None
    first: int
    source: str
    protocol: type[Session] = AlternatingOffers
    plugins: tuple[PluginInfo, ...] = ()

    @property
    def kind(self) -> ProtocolKind:
        return self.protocol.kind


def _fail(doc: Document, path: str, message: str, allowed: str = "", **value: object) -> InputError:
    line = doc.line_of(path)
    if "value" in value:
        return InputError.single(message, source=doc.source, path=path, line=line,
                                 allowed=allowed, value=value["value"])
    return InputError.single(message, source=doc.source, path=path, line=line, allowed=allowed)


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _issue(doc: Document, i: int, spec: IssueSpec) -> Issue:
    path = f"issues.{i}"
    if spec.kind is IssueKind.DISCRETE:
        for field in ("low", "high"):
            if getattr(spec, field) is not None:
                raise _fail(
                    doc,
                    f"{path}.{field}",
                    f"a discrete issue has no {field}",
                    allowed="values: [option, ...]",
                )
        if not spec.values:
            raise _fail(
                doc,
                f"{path}.values",
                "a discrete issue needs a list of values",
                allowed="a non-empty list of options",
            )
        if len(set(spec.values)) != len(spec.values):
            dup = next(v for v in spec.values if spec.values.count(v) > 1)
            raise _fail(
                doc, f"{path}.values", "repeated option", value=dup, allowed="each option once"
            )
        return Issue.discrete(spec.name, spec.values)
    if spec.values is not None:
        raise _fail(
            doc,
            f"{path}.values",
            "a continuous issue has no values",
            allowed="low and high (or kind: discrete)",
        )
    low = 0.0 if spec.low is None else spec.low
    high = 1.0 if spec.high is None else spec.high
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise _fail(
            doc,
            f"{path}.high",
            "high must be greater than low",
            value=high,
            allowed=f"a finite number > {low}",
        )
    return Issue.continuous(spec.name, low, high)


def _utility(doc: Document, i: int, p: PartySpec, space: OutcomeSpace) -> LinearAdditiveUtility:
    path = f"parties.{i}"
    names = list(space.names)
    for field in ("weights", "ideal", "scores"):
        for key in getattr(p, field):
            if key not in names:
                raise _fail(
                    doc,
                    f"{path}.{field}.{key}",
                    f"unknown issue {key!r}" + _suggest(key, names),
                    allowed=", ".join(names),
                )
    if sum(p.weights.values()) <= 0:
        raise _fail(doc, f"{path}.weights", "at least one weight must be positive", value=p.weights)
    for name, w in p.weights.items():
        if w > 0 and name not in p.ideal and name not in p.scores:
            raise _fail(
                doc,
                f"{path}.ideal",
                f"issue {name!r} has a weight but no ideal point",
                allowed=f"ideal: {{{name}: ...}} or scores: {{{name}: {{...}}}}",
            )
    for name, value in p.ideal.items():
        issue = space.issues[space.index(name)]
        try:
            issue.encode(value)
        except ValueError:
            allowed = (
                ", ".join(map(str, issue.options))
                if issue.kind is IssueKind.DISCRETE
                else f"a number in [{issue.low}, {issue.high}]"
            )
            raise _fail(
                doc,
                f"{path}.ideal.{name}",
                "ideal point outside the issue",
                value=value,
                allowed=allowed,
            ) from None
    for name, table in p.scores.items():
        issue = space.issues[space.index(name)]
        if issue.kind is not IssueKind.DISCRETE:
            raise _fail(
                doc,
                f"{path}.scores.{name}",
                "scores are only for discrete issues",
                allowed="ideal: {issue: value} for a continuous issue",
            )
        if name in p.ideal:
            raise _fail(doc, f"{path}.scores.{name}", "give an ideal point or scores, not both")
        opts = list(issue.options)
        for key in table:
            if key not in opts:
                raise _fail(
                    doc,
                    f"{path}.scores.{name}.{key}",
                    f"unknown option {key!r}",
                    allowed=", ".join(map(str, opts)),
                )
        missing = [o for o in opts if o not in table]
        if missing:
            raise _fail(
                doc,
                f"{path}.scores.{name}",
                f"no score for options {missing}",
                allowed="a score for every option",
            )
    return LinearAdditiveUtility.create(
        space,
        p.weights,
        p.ideal,
        scores=p.scores,
        reservation=p.reservation,
        discount=p.discount,
    )


def _plugin_strategy(doc: Document, path: str, spec: StrategySpec, protocol: ProtocolKind,
                     plugins: list[PluginInfo]) -> Strategy:
    """A strategy plug-in, made with its parameters (checked against its Parameters)."""
    try:
        cls, info = load("strategies", spec.kind, Strategy,  # type: ignore[type-abstract]
                         builtin=list(STRATEGY_KINDS))
    except PluginError as exc:
        raise _fail(doc, f"{path}.kind", exc.message, value=spec.kind,
                    allowed=exc.allowed) from None
    for field in ("e", "k"):
        if getattr(spec, field) is not None:
            raise _fail(doc, f"{path}.{field}", f"strategy {spec.kind!r} takes no {field!r}",
                        allowed="its parameters under params:")
    try:
        values = cls.Parameters.model_validate(spec.params or {})
    except pydantic.ValidationError as exc:
        # each problem at its value's own line: the params' lines, relative to params
        prefix = f"{path}.params"
        lines = {k[len(prefix) + 1:]: v for k, v in doc.lines.items()
                 if k.startswith(prefix + ".")}
        lines[""] = doc.line_of(prefix) or 1
        sub = Document(spec.params or {}, doc.source, lines)
        raise InputError([replace(p, path=f"{prefix}.{p.path}".rstrip("."))
                          for p in problems_from(exc, sub, cls.Parameters, spec.params or {})],
                         source=doc.source) from None
    if protocol not in cls.supports:
        raise _fail(doc, f"{path}.kind", f"strategy {spec.kind!r} cannot play {protocol}",
                    value=spec.kind, allowed="a protocol it plays: "
                    + ", ".join(sorted(cls.supports)))
    try:
        strategy = cls(**values.model_dump())
    except Exception as exc:  # a broken plug-in: named, never a traceback
        raise _fail(doc, f"{path}.kind", f"the {info.label} is broken: it cannot be made "
                    f"({type(exc).__name__}: {exc})", value=spec.kind,
                    allowed="a fixed release of the package") from None
    plugins.append(info)
    return strategy


def _strategy(doc: Document, i: int, spec: StrategySpec, protocol: ProtocolKind,
              plugins: list[PluginInfo]) -> Strategy:
    path = f"parties.{i}.strategy"
    if spec.kind not in STRATEGY_KINDS:
        return _plugin_strategy(doc, path, spec, protocol, plugins)
    refused = clash("strategies", spec.kind)  # a plug-in named like this built-in is refused
    if refused is not None:
        raise _fail(doc, f"{path}.kind", refused.message, value=spec.kind,
                    allowed=refused.allowed)
    if spec.params is not None:
        raise _fail(doc, f"{path}.params", f"strategy {spec.kind!r} takes no params (they are "
                    "for strategy plug-ins)", allowed="e and k for the time-dependent family")
    allowed = ALLOWED[protocol]
    if spec.kind not in allowed:
        raise _fail(
            doc,
            f"{path}.kind",
            f"strategy {spec.kind!r} cannot play {protocol}",
            value=spec.kind,
            allowed=", ".join(allowed),
        )
    family = spec.kind in ("time_dependent", *DEFAULT_E)
    for field in ("e", "k"):
        if getattr(spec, field) is not None and not family:
            raise _fail(
                doc,
                f"{path}.{field}",
                f"strategy {spec.kind!r} takes no parameter {field!r}",
                allowed="e and k only for time_dependent, boulware, linear, conceder",
            )
    if spec.kind == "linear" and spec.e is not None and spec.e != 1.0:
        raise _fail(
            doc,
            f"{path}.e",
            "a linear strategy has e = 1",
            value=spec.e,
            allowed="1, or kind: time_dependent",
        )
    if family:
        e = spec.e if spec.e is not None else DEFAULT_E.get(spec.kind, 1.0)
        return TimeDependent(e=e, k=spec.k or 0.0)
    if spec.kind == "tit_for_tat":
        return TitForTat()
    if spec.kind == "zeuthen":
        return Zeuthen()
    return RubinsteinEquilibrium()


def _protocol(doc: Document, spec: SessionSpec, plugins: list[PluginInfo]) -> type[Session]:
    """The session's protocol class: built in, or an installed plug-in's."""
    if isinstance(spec.protocol, ProtocolKind):
        refused = clash("protocols", spec.protocol.value)  # a plug-in named like it: refused
        if refused is not None:
            raise _fail(doc, "protocol", refused.message, value=spec.protocol.value,
                        allowed=refused.allowed)
        return BUILTIN_PROTOCOLS[spec.protocol]
    try:
        cls, info = load("protocols", spec.protocol, Session,  # type: ignore[type-abstract]
                         builtin=[k.value for k in ProtocolKind])
    except PluginError as exc:
        raise _fail(doc, "protocol", exc.message, value=spec.protocol,
                    allowed=exc.allowed) from None
    if not isinstance(getattr(cls, "kind", None), ProtocolKind):
        raise _fail(doc, "protocol", f"the {info.label} is broken: its kind is not a built-in "
                    "protocol kind", value=spec.protocol, allowed="a fixed release of the package")
    plugins.append(info)
    return cls


def plan_from_document(doc: Document) -> SessionPlan:
    """Validate a parsed session document and build its :class:`SessionPlan`."""
    require_mapping(doc, "negotiation session")
    spec = validate_document(doc, SessionSpec)
    plugins: list[PluginInfo] = []
    protocol_class = _protocol(doc, spec, plugins)
    protocol = protocol_class.kind
    names = [s.name for s in spec.issues]
    for i, s in enumerate(spec.issues):
        if names.index(s.name) != i:
            raise _fail(
                doc, f"issues.{i}.name", "repeated issue name", value=s.name, allowed="unique names"
            )
    space = OutcomeSpace(tuple(_issue(doc, i, s) for i, s in enumerate(spec.issues)))
    if space.size(spec.resolution) > MAX_GRID:
        raise _fail(
            doc,
            "resolution",
            f"the deal grid would have {space.size(spec.resolution)} deals",
            value=spec.resolution,
            allowed=f"a grid of at most {MAX_GRID} deals",
        )
    n = len(spec.parties)
    if protocol in BILATERAL and n != 2:
        raise _fail(
            doc,
            "parties",
            f"{protocol} is bilateral: it needs exactly 2 parties",
            value=[p.name for p in spec.parties],
            allowed="2 parties (or protocol: single_text, stacked_alternating_offers)",
        )
    pnames = [p.name for p in spec.parties]
    for i, p in enumerate(spec.parties):
        if pnames.index(p.name) != i:
            raise _fail(
                doc,
                f"parties.{i}.name",
                "repeated party name",
                value=p.name,
                allowed="unique names",
            )
        if p.name == "mediator":
            raise _fail(doc, f"parties.{i}.name", "'mediator' is reserved", value=p.name)
    parties: list[Party] = []
    for i, p in enumerate(spec.parties):
        utility = _utility(doc, i, p, space)
        strategy = _strategy(doc, i, p.strategy, protocol, plugins)
        parties.append(Party(p.name, utility, strategy))
    if any(p.strategy.kind == "rubinstein" for p in spec.parties) and all(
        p.discount >= 1 for p in spec.parties
    ):
        raise _fail(
            doc,
            "parties.0.discount",
            "rubinstein play needs a discount below 1 for some party",
            value=spec.parties[0].discount,
            allowed="0 < discount < 1",
        )
    first = 0
    if spec.first is not None:
        if protocol is not ProtocolKind.ALTERNATING_OFFERS:
            raise _fail(
                doc,
                "first",
                f"'first' is only for alternating_offers, not {spec.protocol}",
                value=spec.first,
            )
        if spec.first not in pnames:
            raise _fail(
                doc,
                "first",
                f"unknown party {spec.first!r}" + _suggest(spec.first, pnames),
                allowed=", ".join(pnames),
            )
        first = pnames.index(spec.first)
    mediator = None
    if spec.mediator is not None and protocol is not ProtocolKind.SINGLE_TEXT:
        raise _fail(
            doc,
            "mediator",
            f"a mediator is only for single_text, not {spec.protocol}",
            allowed="remove it, or protocol: single_text",
        )
    if protocol is ProtocolKind.SINGLE_TEXT:
        m = spec.mediator or MediatorSpec()
        start: str | tuple[float, ...]
        if isinstance(m.start, Mapping):
            for key in m.start:
                if key not in space.names:
                    raise _fail(
                        doc,
                        f"mediator.start.{key}",
                        f"unknown issue {key!r}" + _suggest(key, list(space.names)),
                        allowed=", ".join(space.names),
                    )
            missing = [n for n in space.names if n not in m.start]
            if missing:
                raise _fail(
                    doc,
                    "mediator.start",
                    f"no value for issues {missing}",
                    allowed="a value for every issue, or centre, or nash",
                )
            vec = []
            for issue in space.issues:
                try:
                    vec.append(issue.encode(m.start[issue.name]))
                except ValueError:
                    raise _fail(
                        doc,
                        f"mediator.start.{issue.name}",
                        "value outside the issue",
                        value=m.start[issue.name],
                    ) from None
            start = tuple(vec)
        else:
            start = m.start
        mediator = Mediator(step=m.step, start=start)
    return SessionPlan(spec, space, tuple(parties), mediator, first, doc.source, protocol_class,
                       tuple(dict.fromkeys(plugins)))


def load_session(path: str | Path) -> SessionPlan:
    """Read and validate a session file; problems raise :class:`InputError`."""
    return plan_from_document(read_yaml(path))


def parse_session(text: str, source: str = "<string>") -> SessionPlan:
    """Validate a session given as YAML text."""
    return plan_from_document(parse_yaml(text, source))


def build_session(plan: SessionPlan, seed: int | None = None) -> Session:
    """A steppable session for ``plan``; ``seed`` overrides the file's seed."""
    rng = np.random.default_rng(plan.spec.seed if seed is None else seed)
    return open_session(plan, plan.parties, rng)


def open_session(plan: SessionPlan, parties: Sequence[Party], rng: np.random.Generator, *,
                 planned: bool = False) -> Session:
    """A session of ``plan``'s protocol between ``parties`` (the plan's, or the same with other
    reservation values, as talks in a scenario open them) drawing from ``rng``. ``planned``:
    an alternating-offers or single-text session the parties' strategies allow is computed
    whole (:class:`~diplosim.negotiation.planned.PlannedAlternatingOffers`,
    :class:`~diplosim.negotiation.planned.PlannedSingleText`: the same results and stream,
    faster; their offers and trace are written when their result is asked)."""
    spec = plan.spec
    kw: dict[str, Any] = {"deadline": spec.deadline, "rng": rng, "resolution": spec.resolution}
    cls = plan.protocol
    if cls is AlternatingOffers:
        session = PlannedAlternatingOffers if planned and plannable(parties) else cls
        return session(plan.space, parties, first=plan.first, **kw)
    if cls is SingleText:
        text = (PlannedSingleText if planned and plannable_text(parties, plan.mediator)
                else SingleText)
        return text(plan.space, parties, mediator=plan.mediator, **kw)
    return cls(plan.space, parties, **kw)


def run_session(plan: SessionPlan, seed: int | None = None) -> NegotiationResult:
    """Run ``plan`` to the end."""
    return build_session(plan, seed).run()


__all__ = [
    "SessionPlan",
    "SessionSpec",
    "build_session",
    "load_session",
    "open_session",
    "parse_session",
    "run_session",
]
