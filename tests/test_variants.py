"""A case compiled once and its variants under other values of the shared set
(``diplosim.scenario.variants``): each variant is the scenario built anew, field for field, for
every real case, the record and every structure; a value the schema refuses is refused; paths
the shortcut does not know are built anew."""

from __future__ import annotations

import numpy as np
import pytest

from diplosim.analysis.cases import CASES
from diplosim.analysis.joint_fit import JOINT_PRIORS, STRUCTURE_PRIORS, STRUCTURES, JointModel
from diplosim.io.errors import InputError
from diplosim.scenario.variants import Variants, identical

NAMES = (*(c.name for c in CASES), "record")


@pytest.mark.parametrize("structure", sorted(STRUCTURES))
def test_each_variant_is_the_scenario_built_anew(structure: str) -> None:
    fixed = STRUCTURES[structure]
    priors = (*JOINT_PRIORS, *STRUCTURE_PRIORS.get(structure, ()))
    model = JointModel("pooled", tuple(c.name for c in CASES), 1, fixed=fixed)
    rng = np.random.default_rng(len(structure))
    for name in NAMES:
        stem = model.base(name).with_overrides(dict(fixed))
        variants = Variants(stem)
        for trial in range(6):
            # within the priors, and now and then outside what the schema allows
            low, high = (-2.0, 2.0) if trial % 3 == 2 else (None, None)
            values = {p.path: float(rng.uniform(p.low if low is None else low,
                                                p.high if high is None else high))
                      for p in priors}
            try:
                anew = stem.with_overrides(values)
            except InputError:
                with pytest.raises(InputError):
                    variants.variant(values)
                continue
            assert identical(variants.variant(values), anew), (name, values)
        assert variants.checked is True, name  # the shortcut was taken after the first check


def test_the_joint_model_builds_each_set_as_before() -> None:
    model = JointModel("pooled", ("us_cuba", "oslo_1993"), 1)
    values = {"parameters__tension__drift": 0.7, "parameters__negotiation__ripeness__way_out": 0.4}
    for name in ("us_cuba", "oslo_1993", "record"):
        first = model.scenario(name, values)
        again = model.scenario(name, {**values, "parameters__tension__drift": 1.3})
        anew = model.base(name).with_overrides(
            {"parameters.tension.drift": 1.3, "parameters.negotiation.ripeness.way_out": 0.4})
        assert identical(again, anew)
        assert first.compiled.step.tension.drift != again.compiled.step.tension.drift


def test_paths_the_shortcut_does_not_know_are_built_anew() -> None:
    model = JointModel("pooled", ("us_cuba",), 1)
    stem = model.base("us_cuba")
    variants = Variants(stem)
    for values in ({"steps": 40}, {"parameters.channels.embassy.noise": 0.2},
                   {"parameters.start.tension": 0.4}):
        assert variants._plan(tuple(values)) is None
    assert variants.checked is None
    case_own = {"tension.drift": 0.3}
    assert identical(variants.variant(case_own), stem.with_overrides(case_own))


def test_identical_looks_all_the_way_down() -> None:
    assert identical({"a": np.array([1.0, np.nan])}, {"a": np.array([1.0, np.nan])})
    assert not identical(np.array([1, 2]), np.array([1.0, 2.0]))  # dtypes differ
    assert not identical((1.0, [2.0]), (1.0, [2.5]))
    assert not identical({"a": 1, "b": 2}, {"b": 2, "a": 1})  # the order too
