"""Numeric parameters of a scenario a user may vary: the browser app's sliders and the
starter experiment of ``diplosim init``. Each is a dotted path with a value and a range."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diplosim.scenario.loader import Scenario

MAX_SLIDERS = 8


@dataclass(frozen=True)
class Slider:
    path: str
    value: float
    low: float
    high: float
    step: float
    integer: bool = False

    def user_param(self) -> dict[str, Any]:
        kind = "SliderInt" if self.integer else "SliderFloat"
        return {"type": kind, "value": self.value, "min": self.low, "max": self.high,
                "step": self.step, "label": self.path}


def value_at(document: Any, path: str) -> Any:
    """The value at a dotted path of a scenario's full document (defaults included)."""
    cur = document
    for part in path.split("."):
        if isinstance(cur, Mapping):
            cur = cur[part]
        elif isinstance(cur, list | tuple):
            cur = cur[int(part)]
        else:
            raise KeyError(path)
    return cur


WHOLE_STEPS = ("negotiation.ripeness.window", "negotiation.cooldown")


def _slider(document: Mapping[str, Any], path: str, low: float | None = None,
            high: float | None = None) -> Slider | None:
    try:
        value = value_at(document, path)
    except (KeyError, IndexError, ValueError):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    # durations are whole steps unless the scenario's rates are per year (then years)
    whole = path in WHOLE_STEPS and document.get("rates", "per_step") == "per_step"
    integer = (isinstance(value, int) or whole) and not path.endswith(("threshold", "noise"))
    v = float(value)
    lo = low if low is not None else (0.0 if v >= 0 else 2 * v)
    hi = high if high is not None else (1.0 if 0 <= v <= 1 and not integer else max(2 * v, 1))
    lo, hi = min(lo, v), max(hi, v)
    return Slider(path, int(v) if integer else v, lo, hi, 1 if integer else _step(v, hi - lo),
                  integer)


def _step(value: float, span: float) -> float:
    """A round step of about a hundredth of the range, fine enough to hold ``value`` itself
    (a slider shows and returns multiples of its step)."""
    step = 10.0 ** math.floor(math.log10(span / 100)) if span > 0 else 0.01
    while abs(round(value / step) * step - value) > 1e-9 and step > span / 10_000:
        step /= 10
    return float(f"{step:.1e}")


def _range(doc: Mapping[str, Any], path: str) -> tuple[float | None, float | None]:
    """Sensible slider ranges: a closing threshold stays above its kind's reopening threshold
    (the schema requires it), noise up to 0.2."""
    if path.endswith(".close_threshold"):
        reopen = value_at(doc, path.removesuffix("close_threshold") + "reopen_threshold")
        if isinstance(reopen, int | float):
            return float(reopen) + 0.01, 1.0
    if path.endswith("noise"):
        return 0.0, 0.2
    return None, None


def default_parameters(scenario: Scenario) -> list[Slider]:
    """The scenario's declared sliders, or: each channel kind's closing threshold (a single
    value), then tension drift, escalation, de-escalation, noise and the transfer rate."""
    doc = scenario.spec.model_dump(by_alias=True)
    declared = scenario.spec.explore.parameters if scenario.spec.explore else []
    if declared:
        return [s for p in declared if (s := _slider(doc, p.path, *(
            (p.low, p.high) if p.low is not None or p.high is not None else _range(
                doc, p.path)))) is not None]
    paths = [f"channels.{k}.close_threshold" for k, spec in scenario.spec.channels.items()
             if not isinstance(spec.close_threshold, list)]
    paths += ["tension.drift", "tension.escalation", "tension.deescalation", "tension.noise",
              "tension.misperception.transfer"]
    found = (_slider(doc, path, *_range(doc, path)) for path in paths)
    return [s for s in found if s is not None][:MAX_SLIDERS]
