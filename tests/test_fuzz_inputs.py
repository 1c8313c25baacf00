"""Fuzzing every loader with generated YAML *text*: whatever the bytes, the only error that may
escape is :class:`InputError`, and each case does bounded work (a hang guard stops any case that
runs past ``GUARD_SECONDS``; the figures of a run are printed with ``-s``).

The generator writes text, not data: random characters and bytes (control characters, invalid
UTF-8, lone surrogates), anchors and aliases up to the "billion laughs", tags, deep flow and block
nesting, very long scalars, huge numbers, odd line endings (CRLF, CR) and tabs, and truncation —
alone or spliced into the valid example files, so the checks behind the YAML reader (schema,
compile) see hostile values too.
"""

from __future__ import annotations

import os
import signal
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from diplosim.experiment.loader import load_experiment
from diplosim.io.errors import InputError
from diplosim.io.overrides import parse_assignment
from diplosim.negotiation.session import load_session
from diplosim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "mission_closure.yaml"
BASES = {
    "scenario": FLAGSHIP.read_text(),
    "experiment": (ROOT / "experiments" / "backchannel_resilience.yaml").read_text().replace(
        "../scenarios/mission_closure.yaml", str(FLAGSHIP)),
    "session": (ROOT / "examples" / "negotiation" / "rubinstein_pie.yaml").read_text(),
}
GUARD_SECONDS = 30


class Hang(Exception):
    pass


@contextmanager
def guard(seconds: float) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Hang(f"a case ran past {seconds} s")

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


# --- the generator -----------------------------------------------------------------------------

KEYS = ["name", "steps", "states", "channels", "events", "tension", "actors", "generate", "count",
        "scenario", "design", "parameters", "replications", "outcomes", "issues", "parties",
        "protocol", "seed", "id", "at", "kind", "x", "<<", "? [a]", "'q'", "\"d\\x00\""]
SPECIAL = ["0.5", "-1", "0", "1e999", "-1e999", ".nan", ".inf", "~", "null", "true", "yes", "on",
           "2024-13-45", "2024-01-01", "2024-01-01T25:61:00", "0x1F", "0o17", "1_000", "'q'",
           '"\\x00"', '"\\uD800"', '"\\U0010FFFF"', "|\n  block\n", ">-\n  folded\n", "-", "?",
           ":", "[", "]", "{", "}", "&", "*", "!", "%YAML 1.1", "---", "...", "#", "@", "`",
           "\t", "\ufeff", "\u2028", "A", "north", "embassy", "1", "2", "0.9"]
CONTROLS = ["\r", "\x00", "\x1b", "\x85", "\x7f", "\x9f", "\ud800", "\ufffe"]
TAGS = ["", "", "", "!!str ", "!!int ", "!!float ", "!!python/object:os.system ",
        "!!python/object/apply:os.system ", "!foo ", "!!binary ", "!!set ", "!!omap ",
        "!!merge ", "!!timestamp ", "!<tag:yaml.org,2002:str> "]

printable = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Cn"])
scalars = st.one_of(
    st.sampled_from(SPECIAL),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(printable, max_size=20),
    st.integers(min_value=4_000, max_value=6_000).map(lambda n: "9" * n),  # huge numbers
    st.integers(min_value=1_000, max_value=200_000).map(lambda n: "x" * n),  # long scalars
    st.sampled_from(CONTROLS),
    st.text(max_size=20),  # any characters, controls and surrogates included
)
leaf = st.builds(lambda tag, anchor, value, alias: alias or f"{tag}{anchor}{value}",
                 st.sampled_from(TAGS), st.sampled_from(["", "", "&a ", "&b "]), scalars,
                 st.sampled_from(["", "", "", "", "*a", "*b", "*zz"]))
keys = st.one_of(st.sampled_from(KEYS), st.text(printable, max_size=8), st.text(max_size=8))
flow = st.recursive(
    leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.lists(st.tuples(keys, inner), max_size=5).map(
            lambda kv: "{" + ", ".join(f"{k}: {v}" for k, v in kv) + "}"),
    ),
    max_leaves=25,
)


@st.composite
def block(draw: st.DrawFn) -> str:
    """Block mappings and lists with random indentation (spaces or tabs) and line endings."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        indent = draw(st.sampled_from(["", "", "  ", "    ", "\t", " \t", "      "]))
        head = draw(st.sampled_from(["", "", "- "]))
        lines.append(f"{indent}{head}{draw(keys)}: {draw(flow)}")
    end = draw(st.sampled_from(["\n", "\n", "\r\n", "\r"]))
    return end.join(lines) + end


@st.composite
def alias_bomb(draw: st.DrawFn) -> str:
    width, levels = draw(st.integers(2, 12)), draw(st.integers(2, 12))
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@st.composite
def nesting(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 5_000))
    if draw(st.booleans()):
        return "a: " + "[" * depth + "]" * draw(st.integers(0, depth)) + "\n"
    return "".join(f"{' ' * i}k{i}:\n" for i in range(min(depth, 300))) + " " * 300 + "v: 1\n"


fragments = st.one_of(block(), flow, alias_bomb(), nesting(), st.text(max_size=300))


@st.composite
def documents(draw: st.DrawFn, base: str) -> bytes:
    """Generated text alone, or spliced into a valid file; then maybe truncated or with random
    bytes put in; encoded so that lone surrogates become invalid UTF-8."""
    frag = draw(fragments)
    how = draw(st.sampled_from(["alone", "splice", "replace"]))
    if how == "alone":
        text = frag
    else:
        lines = base.splitlines(keepends=True)
        at = draw(st.integers(0, len(lines)))
        drop = 1 if how == "replace" and at < len(lines) else 0
        text = "".join(lines[:at]) + frag + "\n" + "".join(lines[at + drop:])
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # truncation
    if draw(st.integers(0, 4)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(min_size=1, max_size=16)) + data[at:]
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + data
    return data


# --- the loaders -------------------------------------------------------------------------------

def through_file(load: Callable[[Path], Any]) -> Callable[[bytes], Any]:
    def run(data: bytes) -> Any:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "case.yaml"
            path.write_bytes(data)
            return load(path)
    return run


SET_PATHS = ["tension.noise", "steps", "channels.backchannel", "channels.new_kind", "events",
             "states.0", "actors.generate", "events.0.at", "tension", "name"]


def through_set(data: bytes) -> Any:
    """``--set PATH=VALUE`` with the generated text as the value (command-line arguments are
    text: undecodable bytes arrive as surrogate escapes, as Python gives them)."""
    value = data.decode("utf-8", "surrogateescape")
    target = SET_PATHS[len(data) % len(SET_PATHS)]
    path, parsed = parse_assignment(f"{target}={value}")
    return load_scenario(FLAGSHIP, {path: parsed})


LOADERS: dict[str, tuple[Callable[[bytes], Any], str]] = {
    "scenario": (through_file(load_scenario), BASES["scenario"]),
    "experiment": (through_file(load_experiment), BASES["experiment"]),
    "session": (through_file(load_session), BASES["session"]),
    "set": (through_set, "0.05\n"),
}


def fuzz(loader: str, cases: int, chunk: int = 1_000) -> dict[str, float]:
    """Run ``cases`` generated cases through a loader, in chunks of ``chunk`` with their own
    seeds (hypothesis remembers every case of a run to avoid repeats: chunks bound that memory).
    """
    load, base = LOADERS[loader]
    seconds: list[float] = []
    outcome = {"accepted": 0, "refused": 0}
    reasons: dict[str, int] = {}

    def case(data: bytes) -> None:
        start = time.perf_counter()
        with guard(GUARD_SECONDS):
            try:
                load(data)
                outcome["accepted"] += 1
            except InputError as err:
                message = str(err)
                assert message  # a message to show
                outcome["refused"] += 1
                reason = message.split(": ", 2)[-1].split("\n")[0][:40]
                reasons[reason] = reasons.get(reason, 0) + 1
        seconds.append(time.perf_counter() - start)

    for k in range(-(-cases // chunk)):
        n = min(chunk, cases - k * chunk)
        run = settings(max_examples=n, database=None,
                       suppress_health_check=list(HealthCheck))(given(documents(base))(case))
        seed(k)(run)()
    ordered = sorted(seconds)
    stats = {"cases": len(seconds), **outcome, "median_s": statistics.median(ordered),
             "p99_s": ordered[int(0.99 * (len(ordered) - 1))], "max_s": ordered[-1]}
    print(f"\nfuzz {loader}: " + ", ".join(
        f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in stats.items()))
    if os.environ.get("DIPLOSIM_FUZZ_REASONS"):
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:15]:
            print(f"  {n:6d}  {reason}")
    return stats


@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_fuzzed_text_gives_only_input_errors(loader: str) -> None:
    stats = fuzz(loader, 150)
    assert stats["refused"] > 0


AT_SCALE = int(os.environ.get("DIPLOSIM_FUZZ_CASES", "2500"))  # per loader; CI's budget


@pytest.mark.slow
@pytest.mark.parametrize("loader", sorted(LOADERS))
def test_fuzzed_text_at_scale(loader: str) -> None:
    stats = fuzz(loader, AT_SCALE)
    assert stats["cases"] >= AT_SCALE // 2  # hypothesis stops early only when the space runs out
