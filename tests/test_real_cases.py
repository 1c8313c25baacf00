"""Stylised facts of the real-case scenarios, tested as shares over replications.

Each scenario's header states its facts. A fact is a predicate on one replication's tables; the
test runs the scenario's own seed stream (``replication_seeds(seed, REPS)``, as ``diplosim run``
does), reports the share of replications that show each fact, and fails when a share is below
its bound (80 % unless stated). A fact's dates are compared with the end of each row's step
(``dates_of(step)``: the state a row holds is the state at the end of the period it names).

Every real case takes its dynamics from the shared parameter set (``parameters:``), no longer
from values tuned for it. The facts that do not hold under the shared set are listed in MISSES
with what was found; the test checks that exactly those fall below their bound, so a fact that
starts to hold (or one that stops) fails the test until the list says so. Nothing is loosened:
each fact keeps its bound (docs/calibration.md, "One model for every case").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from diplosim.results.replicate import replication_seeds
from diplosim.results.tables import RunResult, simulate
from diplosim.scenario import load_scenario
from diplosim.scenario.dates import dates_of

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
REPS = 20
Fact = Callable[[RunResult], bool]


@cache
def runs(name: str) -> tuple[RunResult, ...]:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    seed = scenario.spec.seed or 0
    return tuple(simulate(scenario, rng=s) for s in replication_seeds(seed, REPS))


def ends(r: RunResult, steps: pd.Series) -> np.ndarray:
    assert r.start is not None
    return dates_of(steps.to_numpy(), r.start, r.time_unit)


def dyad(r: RunResult, label: str) -> pd.DataFrame:
    d = r.dyads[r.dyads["dyad"] == label]
    return d.assign(end=ends(r, d["step"]))


def between(frame: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    d = frame["end"]
    return frame[(d >= np.datetime64(first)) & (d <= np.datetime64(last))]


def agreements(r: RunResult) -> pd.Series:
    """Dates of the agreements reached (end of the step the talks ended in)."""
    ev = r.events[r.events["type"] == "agreement"]
    return pd.Series(ends(r, ev["step"]), dtype="datetime64[ns]")


def first_agreement_within(first: str, last: str) -> Fact:
    def fact(r: RunResult) -> bool:
        dates = agreements(r)
        return bool(len(dates)) and np.datetime64(first) <= dates.min() <= np.datetime64(last)
    return fact


def no_agreement_before(when: str) -> Fact:
    return lambda r: bool((agreements(r) < np.datetime64(when)).sum() == 0)


def connected_share(label: str, first: str, last: str, at_least: float) -> Fact:
    return lambda r: float(between(dyad(r, label), first, last)["connected"].mean()) >= at_least


def levels(r: RunResult, channel: str) -> pd.DataFrame:
    """The level of one channel at every step (from its changes)."""
    lc = r.level_changes[r.level_changes["channel"] == channel].drop_duplicates(
        "step", keep="last").set_index("step")["level"]
    steps = np.arange(r.steps + 1)
    return lc.reindex(steps).ffill().astype(int).to_frame("level")


def shares(name: str, facts: dict[str, Fact]) -> dict[str, float]:
    results = runs(name)
    return {label: float(np.mean([fact(r) for r in results])) for label, fact in facts.items()}


# Facts below their bound under the shared parameter set (calibrated: the medians of the joint
# fit at the default budget, today's structure, root seed 1945) with the case files holding facts
# only (every dynamic from the set by kind, docs/validity.md): case -> facts, with the share found
# in 20 replications. Under the per-case values of earlier versions every fact held; under the
# first, 100-particle fit on the files of facts 15 of 26; under this fit 20 of 26. Agreements in
# sample (median period): US-Cuba 2013-10 (real 2014-12), US-Iran 2012-12 (2013-11),
# India-Pakistan 2021-03 (2021-02), Northern Ireland 1999-06 (1998-04), Camp David June 1978
# (September 1978), Oslo none.
MISSES: dict[str, set[str]] = {
    "oslo_1993": {  # 0%: no talks agree within the year (none in 20 replications)
        "an agreement after the channel becomes Track 1 (Aug 1993), before 1994",
    },
    "camp_david_1978": {  # 0%, 0%: talks agree in June 1978, before the summit
        "direct talks before the summit are held and do not agree",
        "an agreement at the summit (by the end of September 1978)",
    },
    "india_pakistan": {  # 35%: the 2019 crisis severs the high commissions in most replications
        "high commissions never severed (assumed: see the scenario's header)",
    },
    "russia_west_expulsions": {  # 55%: a Western pair's embassies sever in 9 of 20 replications
        "no Western pair's embassies severed (downgrade, not rupture)",
    },
    "northern_ireland_nine_tracks": {  # 0%: the agreement comes in 1999 (Apr-Oct), not by 1998
        "an agreement after the all-party talks open (Sep 1997), by the end of 1998",
    },
}


def check(name: str, facts: dict[str, Fact], bound: float = 0.8) -> None:
    got = shares(name, facts)
    report = "\n".join(f"  {share:5.0%}  {label}" for label, share in got.items())
    print(f"\n{name}: share of {REPS} replications showing each fact\n{report}")
    failing = {label for label, share in got.items() if share < bound}
    expected = MISSES.get(name, set())
    assert failing == expected, (
        f"{name}: facts below {bound:.0%} are not those listed in MISSES "
        f"(newly failing: {sorted(failing - expected)}; now holding: "
        f"{sorted(expected - failing)}):\n{report}")


def test_us_cuba() -> None:
    check("us_cuba", {
        "connected through the interests sections for >= 90% of Sep 1977 - Jul 2015":
            connected_share("usa-cuba", "1977-10-01", "2015-07-01", 0.9),
        "no agreement before the secret channel opens (Jun 2013)":
            no_agreement_before("2013-06-01"),
        "an agreement between Jun 2013 and Dec 2016": first_agreement_within("2013-06-01",
                                                                             "2017-01-01"),
        "missions closed from 1961 until the restoration (Jul 2015)": lambda r: bool(
            between(dyad(r, "usa-cuba"), "1961-02-01", "2015-07-01")["mission_closed"].all()),
    })


def test_us_iran() -> None:
    check("us_iran", {
        "connected through the interests section for >= 90% of 1981-2024":
            connected_share("usa-iran", "1981-01-01", "2025-01-01", 0.9),
        "no agreement before the Omani channel (Jul 2012)": no_agreement_before("2012-07-01"),
        "an agreement within three years of the Omani channel": first_agreement_within(
            "2012-07-01", "2015-07-01"),
        "embassies not restored by the end of 2024": lambda r: bool(
            dyad(r, "usa-iran")["mission_closed"].iloc[-1] == 1),
    })


def test_oslo_1993() -> None:
    def track2_lowers_misperception(r: RunResult) -> bool:
        d = dyad(r, "israel-plo").set_index("end")["misperception"]
        return bool(d.loc[:"1993-05-17"].iloc[-1] < d.loc[:"1993-01-25"].iloc[-1] - 0.05)

    check("oslo_1993", {
        "an agreement after the channel becomes Track 1 (Aug 1993), before 1994":
            first_agreement_within("1993-08-02", "1994-01-03"),
        "no talks through the Washington channel before Aug 1993": no_agreement_before(
            "1993-08-02"),
        "the Track 2 stage lowers the governments' misperception by > 0.05 before May":
            track2_lowers_misperception,
    })


def test_camp_david_1978() -> None:
    def direct_talks_fail(r: RunResult) -> bool:
        t = r.talks
        before = t[t["ended"] < 88]  # step 88 holds 5 September 1978, the summit's opening
        return bool(len(before) > 0 and not before["agreed"].any())

    check("camp_david_1978", {
        "direct talks before the summit are held and do not agree": direct_talks_fail,
        "an agreement at the summit (by the end of September 1978)": first_agreement_within(
            "1978-09-05", "1978-10-02"),
    })


def test_india_pakistan() -> None:
    def never_severed(r: RunResult) -> bool:
        return all(int(levels(r, ch)["level"].min()) >= 1
                   for ch in ("indian_hc_islamabad", "pakistani_hc_new_delhi"))

    check("india_pakistan", {
        "the hotline keeps the governments connected through 2019":
            connected_share("india-pakistan", "2019-02-01", "2020-01-01", 1.0),
        "the crisis cuts the high commissions to chargés before the August downgrade":
            lambda r: bool(between(dyad(r, "india-pakistan"), "2019-03-01", "2019-08-01")[
                "mission_closed"].any()),
        "high commissions never severed (assumed: see the scenario's header)": never_severed,
        "no deal before the back-channel opens (Oct 2020)": no_agreement_before("2020-10-01"),
        "a deal within a year of the back-channel": first_agreement_within("2020-10-01",
                                                                           "2021-10-01"),
    })


def test_us_china_track15() -> None:
    def redundancy_falls(r: RunResult) -> bool:
        d = dyad(r, "usa-china")
        return bool(between(d, "2018-01-01", "2019-04-01")["redundancy"].mean()
                    > between(d, "2019-10-01", "2022-01-01")["redundancy"].mean())

    def participants_misperceive_more(r: RunResult) -> bool:
        d = dyad(r, "usa-china")
        return bool(between(d, "2021-01-01", "2022-01-01")["participant_misperception"].mean()
                    > between(d, "2018-01-01", "2019-04-01")["participant_misperception"].mean())

    check("us_china_track15", {
        "the governments lose the dialogue's lines when funding stops (redundancy falls)":
            redundancy_falls,
        "no Track 1 nuclear agreement (no transfer to Track 1)": lambda r: len(agreements(r)) == 0,
        "misperception rises after the dialogue ends": participants_misperceive_more,
    })


WEST = ("usa", "uk", "germany", "france", "poland", "netherlands", "czechia", "lithuania",
        "canada", "italy")


def test_russia_west_expulsions() -> None:
    def downgrade_not_rupture(r: RunResult) -> bool:
        west = r.dyads[r.dyads["dyad"].isin([f"russia-{w}" for w in WEST])]
        return bool(west["mission_closed"].sum() == 0)

    def ukraine_connected_only_when_brokered(r: RunResult) -> bool:
        # compared with the ends of the steps: Istanbul (29 Mar - 17 May 2022) shows in the rows
        # of Apr-May 2022, the grain deal (22 Jul 2022 - 17 Jul 2023) in Aug 2022 - Jul 2023
        d = dyad(r, "russia-ukraine")
        brokered = pd.concat([between(d, "2022-04-01", "2022-05-01"),
                              between(d, "2022-08-01", "2023-07-01")])
        cut_off = pd.concat([between(d, "2022-03-01", "2022-03-01"),
                             between(d, "2022-06-01", "2022-07-01"),
                             between(d, "2023-08-01", "2025-01-01")])
        return bool(brokered["connected"].all() and not cut_off["connected"].any())

    check("russia_west_expulsions", {
        "no Western pair's embassies severed (downgrade, not rupture)": downgrade_not_rupture,
        "the deconfliction line keeps Russia and the US connected, 2022-2024":
            connected_share("russia-usa", "2022-03-01", "2025-01-01", 1.0),
        "Russia and Ukraine connected only while brokered channels are open":
            ukraine_connected_only_when_brokered,
    })


def test_northern_ireland_nine_tracks() -> None:
    check("northern_ireland_nine_tracks", {
        "UK and republicans connected through the 1996-97 breakdown":
            connected_share("uk-republicans", "1996-03-01", "1997-07-01", 1.0),
        "an agreement after the all-party talks open (Sep 1997), by the end of 1998":
            first_agreement_within("1997-09-15", "1999-01-01"),
    })


def test_every_real_case_is_tested() -> None:
    """Each dated scenario in the library (one with a start) has a test of its facts here,
    except the held-out test cases: no test may look at what the model makes of them
    (docs/validity.md)."""
    from diplosim.analysis.cases import TEST_BY_NAME

    dated = {p.stem for p in SCENARIOS.glob("*.yaml")
             if load_scenario(p).spec.start is not None and p.stem not in TEST_BY_NAME}
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert dated <= tested, f"dated scenarios without a facts test: {sorted(dated - tested)}"


@pytest.mark.parametrize("name", ["us_cuba", "oslo_1993"])
def test_shares_report_each_fact(name: str) -> None:
    """The share is computed over all replications (a failing fact lowers it)."""
    got = shares(name, {"always": lambda r: True, "never": lambda r: False,
                        "first half": lambda r: r.seed.spawn_key[-1] < REPS // 2})
    assert got == {"always": 1.0, "never": 0.0, "first half": 0.5}
