"""Fitting a rupture template to the record by approximate Bayesian computation (ABC-SMC, pyabc).

The template scenario (``scenarios/us_ruptures.yaml``) is simulated in batches of replications
(:func:`~diplosim.engine.batch.mission_levels`); each parameter set proposed by pyabc gives
``episodes`` simulated episodes censored like the data (:mod:`diplosim.analysis.episodes`),
summarised by the Kaplan–Meier curve, the share restored and the share with an interests
section; the distance is :func:`diplosim.analysis.episodes.distance`. pyabc's sequential Monte
Carlo lowers the acceptance threshold generation by generation and returns weighted posterior
samples (Toni et al. 2009; Klinger, Rickert & Hasenauer 2018). Parameters are dotted paths into
the template: the same override mechanism as ``run --set`` and sweeps.

Randomness: each simulation's seed is drawn from NumPy's global generator, which pyabc also uses
for its proposals; seeding it with the root seed makes a ``serial`` fit reproducible. With
``process`` or ``dask`` workers the order of evaluations varies, so those fits agree with a serial
one in distribution, not number for number.
"""

from __future__ import annotations

import logging
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from diplosim.analysis import episodes as ep
from diplosim.analysis.calibration import YEARS_PER_UNIT
from diplosim.engine.batch import mission_levels_many
from diplosim.io.errors import InputError
from diplosim.io.extras import require
from diplosim.scenario import Scenario, scenario_from_text


@dataclass(frozen=True)
class Prior:
    """A prior on one dotted path: ``uniform`` or ``loguniform`` between ``low`` and ``high``."""

    path: str
    low: float
    high: float
    kind: str = "uniform"
    label: str = ""

    def rv(self, log_scale: bool = False) -> Any:
        """pyabc's prior; with ``log_scale`` a log-uniform prior is uniform in log10 of the
        value (the same prior, on the scale the proposals then move on)."""
        import pyabc

        if self.kind == "loguniform" and log_scale:
            low, high = math.log10(self.low), math.log10(self.high)
            return pyabc.RV("uniform", low, high - low)
        if self.kind == "loguniform":
            return pyabc.RV("loguniform", self.low, self.high)
        return pyabc.RV("uniform", self.low, self.high - self.low)

    def natural(self, value: float, log_scale: bool) -> float:
        """A proposal's value on the parameter's own scale."""
        return float(10.0**value) if log_scale and self.kind == "loguniform" else float(value)


# The default priors of the rupture template, whose step is a month (docs/calibration.md).
PRIORS: tuple[Prior, ...] = (
    Prior("tension.baseline", 0.05, 0.95, label="mean baseline B"),
    Prior("tension.baseline_concentration", 0.3, 100.0, "loguniform",
          label="baseline concentration c"),
    Prior("tension.regime_change", 1e-5, 0.05, "loguniform", label="regime change / month"),
    Prior("tension.drift", 0.001, 0.3, "loguniform", label="drift / month"),
    Prior("tension.noise", 0.0, 0.1, label="tension noise / month"),
    Prior("channels.mission.reopen_threshold.0", 0.1, 0.9, label="reopen interests section"),
    Prior("channels.mission.reopen_threshold.1", 0.1, 0.9, label="reopen embassy"),
)


def _key(path: str) -> str:
    """pyabc parameter names cannot hold dots."""
    return path.replace(".", "__")


def _path(key: str) -> str:
    return key.replace("__", ".")


@dataclass
class RuptureModel:
    """One ABC simulation: the template with the proposed parameters, ``episodes`` replications
    in one batch, summarised. Picklable (sent to worker processes)."""

    template_text: str
    template_source: str
    follow_up: np.ndarray
    episodes: int
    interests_min_years: float = 0.5
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def scenario(self, params: Mapping[str, float]) -> Scenario:
        if "base" not in self._cache:
            self._cache["base"] = scenario_from_text(self.template_text, self.template_source)
        base: Scenario = self._cache["base"]
        return base.with_overrides({_path(k): float(v) for k, v in params.items()})

    def simulate(self, params: Mapping[str, float], seed: int) -> ep.Episodes:
        sc = self.scenario(params)
        return simulate_episodes(sc, self.episodes, seed, self.follow_up,
                                 self.interests_min_years)

    def __call__(self, params: Mapping[str, float]) -> dict[str, Any]:
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002 - pyabc's global stream
        try:
            return self.simulate(params, seed).summary()
        except InputError:  # e.g. reopen above close: impossible, as far from the data as can be
            return {"km": np.full(ep.GRID.size, np.inf), "restored": np.inf,
                    "interests": np.inf}


def simulate_episodes(scenario: Scenario, n: int, seed: int, follow_up: np.ndarray,
                      interests_min_years: float = 0.5) -> ep.Episodes:
    """``n`` rupture episodes of a template scenario, censored by ``follow_up`` (years)."""
    return simulate_episodes_many([scenario], n, [seed], follow_up, interests_min_years)[0]


EPISODES_AT_ONCE = 20_000  # episodes stepped together (several parameter sets' on one axis)


def simulate_episodes_many(scenarios: Sequence[Scenario], n: int, seeds: Sequence[int],
                           follow_up: np.ndarray, interests_min_years: float = 0.5
                           ) -> list[ep.Episodes]:
    """:func:`simulate_episodes` of each scenario (one template under several parameter sets)
    with its own seed, their episodes on one batch axis; entry k equals what scenario k alone
    gives with ``seeds[k]`` (:func:`~diplosim.engine.batch.mission_levels_many`)."""
    scenario = scenarios[0]
    unit = scenario.spec.time_unit
    if unit not in YEARS_PER_UNIT:
        raise InputError.single("a time unit with a length in years is needed", path="time_unit",
                                source=scenario.source, value=unit,
                                allowed=", ".join(YEARS_PER_UNIT))
    c = scenario.compiled
    missions = np.flatnonzero(c.kinds.mission[c.channel_kind])
    if not missions.size:
        raise InputError.single("the scenario has no mission: true channel", path="channels",
                                source=scenario.source)
    kinds = c.channel_kind[missions]
    formal = c.kinds.formal[kinds].astype(np.int64)
    ladder = c.kinds.ladders[int(kinds[0])]
    interests = next((i for i, name in enumerate(ladder) if "interests" in name), None)
    out: list[ep.Episodes] = []
    per = max(1, EPISODES_AT_ONCE // n)
    for first in range(0, len(scenarios), per):
        levels = mission_levels_many(scenarios[first:first + per], n, seeds[first:first + per])
        for k in range(levels.shape[1] // n):
            out.append(ep.from_levels(levels[:, k * n:(k + 1) * n], formal, interests,
                                      YEARS_PER_UNIT[unit], follow_up, interests_min_years))
    return out


@dataclass
class FitResult:
    posterior: pd.DataFrame  # one row per particle: parameters (dotted paths) and weight
    generations: pd.DataFrame  # per generation: epsilon, particles, samples, acceptance
    priors: tuple[Prior, ...]

    def medians(self) -> dict[str, float]:
        return {p.path: weighted_quantile(self.posterior[p.path], self.posterior["weight"], 0.5)
                for p in self.priors}

    def intervals(self, level: float = 0.9) -> dict[str, tuple[float, float]]:
        lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
        w = self.posterior["weight"]
        return {p.path: (weighted_quantile(self.posterior[p.path], w, lo),
                         weighted_quantile(self.posterior[p.path], w, hi)) for p in self.priors}


def effective_sample_size(weights: Any) -> float:
    """Kish's effective sample size of importance weights: (sum w)^2 / sum w^2."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / (w**2).sum()) if w.size and (w**2).sum() > 0 else 0.0


def weighted_quantile(values: pd.Series, weights: pd.Series, q: float) -> float:
    order = np.argsort(values.to_numpy())
    v = values.to_numpy()[order]
    w = weights.to_numpy()[order]
    cum = np.cumsum(w) / w.sum()
    return float(v[min(int(np.searchsorted(cum, q)), v.size - 1)])


def make_sampler(backend: str, workers: int | None, scheduler: str | None = None) -> Any:
    """pyabc's sampler for our backends: serial, process (local processes), dask."""
    from pyabc.sampler import (
        DaskDistributedSampler,
        MulticoreEvalParallelSampler,
        SingleCoreSampler,
    )

    from diplosim.experiment.executors import available_cores
    from diplosim.io.options import BACKENDS

    if backend not in BACKENDS:
        raise InputError.single("unknown backend", source="--backend", value=backend,
                                allowed=", ".join(BACKENDS))
    n = workers or available_cores()
    if backend == "serial":  # check_max_eval: a generation stops at the --max-simulations budget
        return SingleCoreSampler(check_max_eval=True)
    if backend == "process":
        return MulticoreEvalParallelSampler(n_procs=n, check_max_eval=True)
    require("dask", "--backend dask")
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler)  # type: ignore[no-untyped-call]
    else:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1,  # type: ignore[no-untyped-call]
                               processes=True, dashboard_address=":0")
        client = Client(cluster)  # type: ignore[no-untyped-call]
    return DaskDistributedSampler(dask_client=client)


class BatchModel(Protocol):
    """A model whose simulations of many parameter sets run at once: entry k of
    ``discrepancies_many(params, seeds)`` is what set k alone gives with ``seeds[k]``
    (:class:`diplosim.analysis.joint_fit.JointModel`). Picklable: parts go to workers."""

    def discrepancies_many(self, params: Sequence[Mapping[str, float]],
                           seeds: Sequence[int]) -> list[dict[str, float]]: ...


def _evaluate_part(task: tuple[int, BatchModel, list[dict[str, float]], list[int]]
                   ) -> tuple[int, list[dict[str, float]]]:
    index, model, params, seeds = task
    return index, model.discrepancies_many(params, seeds)


class Batched:
    """pyabc's model function for a :class:`BatchModel`: :meth:`prefetch` simulates a round of
    proposals at once (split among the executor's workers, each part on one batch axis), and
    pyabc's per-particle calls then read those results. Each proposal's seed is drawn in turn
    from NumPy's global stream (which pyabc seeds, and draws its proposals from) before the
    round is split, so a fit gives the same numbers on any backend and number of workers."""

    def __init__(self, model: BatchModel, executor: Any = None, workers: int = 1,
                 priors: tuple[Prior, ...] = ()) -> None:
        self.model = model
        self.executor = executor
        self.workers = max(1, workers)
        # proposals of log-uniform priors are log10 values (run_abc's log_scale)
        self.scales = {_key(p.path): p for p in priors if p.kind == "loguniform"}
        self.simulations = 0
        self._ready: dict[int, tuple[Mapping[str, float], dict[str, float]]] = {}

    def prefetch(self, thetas: Sequence[Mapping[str, float]]) -> None:
        seeds = [int(np.random.randint(0, 2**31 - 1)) for _ in thetas]  # noqa: NPY002
        params = [self.natural(theta) for theta in thetas]
        parts = np.array_split(np.arange(len(params)), min(self.workers, len(params)))
        tasks = [(int(part[0]), self.model, [params[i] for i in part], [seeds[i] for i in part])
                 for part in parts if part.size]
        if self.executor is None or len(tasks) == 1:
            done = [_evaluate_part(task) for task in tasks]
        else:
            done = list(self.executor.imap_unordered(_evaluate_part, tasks))
        self._ready = {}
        for first, results in done:
            for i, result in enumerate(results):
                self._ready[id(thetas[first + i])] = (thetas[first + i], result)
        self.simulations += len(thetas)

    def natural(self, theta: Mapping[str, float]) -> dict[str, float]:
        """A proposal on the parameters' own scales."""
        return {k: (self.scales[k].natural(v, True) if k in self.scales else float(v))
                for k, v in theta.items()}

    def discard(self) -> None:
        """Forget the results of a round that were not asked for."""
        self._ready = {}

    def __call__(self, params: Mapping[str, float]) -> dict[str, float]:
        ready = self._ready.pop(id(params), None)
        if ready is not None and ready[0] is params:
            return ready[1]
        self.simulations += 1  # a proposal not prefetched (pyabc's own calls): alone
        seed = int(np.random.randint(0, 2**31 - 1))  # noqa: NPY002
        return self.model.discrepancies_many([self.natural(params)], [seed])[0]


ROUND_MARGIN = 1.2  # a round proposes this much more than the acceptance rate so far implies
LOWEST_RATE = 0.02  # the rate a round is sized with when fewer were accepted


def batch_sampler(model: Batched) -> Any:
    """A pyabc sampler that proposes a round of parameter sets, simulates them at once
    (:meth:`Batched.prefetch`), then weighs and accepts them with pyabc's own functions, in the
    order they were proposed, until the population is full. The first round proposes the
    population's size; later ones what the acceptance rate so far says is missing (times
    ``ROUND_MARGIN``). Every simulation counts, also those of a last round past the population's
    last acceptance (they are not used): the budget ``max_eval`` is hard."""
    import pyabc
    from pyabc.inference_util import evaluate_proposal, generate_valid_proposal
    from pyabc.population import Particle

    class BatchSampler(pyabc.sampler.Sampler):  # type: ignore[misc]
        def sample_until_n_accepted(self, n: int, simulate_one: Any, t: int, *,
                                    max_eval: float = np.inf, all_accepted: bool = False,
                                    ana_vars: Any = None) -> Any:
            kw = simulate_one.keywords
            from_prior = "transitions" not in kw  # the calibration sample: the prior alone
            sample = self._create_empty_sample()
            evaluated = accepted = 0
            size = n
            while accepted < n and evaluated < max_eval:
                k = int(min(size, max_eval - evaluated))
                proposals = [generate_valid_proposal(
                    t=0 if from_prior else kw["t"], m=kw.get("m"), p=kw.get("p"),
                    model_prior=kw["model_prior"], parameter_priors=kw["parameter_priors"],
                    model_perturbation_kernel=kw.get("model_perturbation_kernel"),
                    transitions=kw.get("transitions")) for _ in range(k)]
                model.prefetch([theta for _, theta in proposals])
                for m, theta in proposals:
                    if accepted >= n:
                        break
                    if from_prior:
                        result = kw["models"][m].summary_statistics(0, theta,
                                                                    kw["summary_statistics"])
                        particle = Particle(m=m, parameter=theta, weight=1.0,
                                            sum_stat=result.sum_stat, distance=np.inf,
                                            accepted=True, proposal_id=0, preliminary=False)
                    else:
                        particle = evaluate_proposal(
                            m, theta, t=kw["t"], models=kw["models"],
                            summary_statistics=kw["summary_statistics"],
                            distance_function=kw["distance_function"], eps=kw["eps"],
                            acceptor=kw["acceptor"], x_0=kw["x_0"],
                            weight_function=kw["weight_function"],
                            proposal_id=kw["proposal_id"])
                    sample.append(particle)
                    accepted += bool(particle.accepted)
                evaluated += k
                logging.getLogger("ABC").info(
                    f"round: generation {t}, {k} simulated at once, {accepted} of {n} accepted "
                    f"({model.simulations:,} simulations in all)")
                rate = max(accepted / evaluated, LOWEST_RATE)
                size = max(1, min(4 * n, math.ceil((n - accepted) / rate * ROUND_MARGIN)))
            model.discard()
            self.nr_evaluations_ = evaluated
            if sample.n_accepted < n:
                sample.ok = False
            return sample

    return BatchSampler()


def quiet_pyabc(progress: bool = True) -> None:
    """pyabc logs at INFO through many loggers: keep only its per-generation lines (epsilon,
    acceptance) as progress on standard error, prefixed ``fit:``."""
    for name in ("pyabc", "Epsilon", "Distance", "Population", "Sampler", "History",
                 "Adaptation", "Acceptor", "Redis-Worker", "ABC.Distance", "ABC.Epsilon",
                 "ABC.Population", "ABC.History", "ABC.Sampler", "ABC.Predictor",
                 "ABC.Transition", "ABC.Acceptor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    main = logging.getLogger("ABC")
    main.setLevel(logging.INFO if progress else logging.WARNING)
    main.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("fit: %(message)s"))
    handler.addFilter(lambda r: r.getMessage().startswith(("t:", "Accepted", "Stop", "round:")))
    main.handlers[:] = [handler]  # instead of pyabc's own


def run_fit(template: Scenario, observed: ep.Episodes, follow_up: np.ndarray, db: Path, *,
            priors: tuple[Prior, ...] = PRIORS, population: int = 200, generations: int = 8,
            episodes: int = 400, min_epsilon: float = 0.0, seed: int = 1945,
            backend: str = "serial", workers: int | None = None, scheduler: str | None = None,
            resume: bool = False, max_simulations: int | None = None,
            progress: bool = True) -> FitResult:
    """Run (or, with ``resume``, continue) ABC-SMC; the history is kept in the SQLite file
    ``db``, so an interrupted fit loses at most its current generation."""
    model = RuptureModel(template.text, template.source, np.asarray(follow_up, dtype=float),
                         episodes)
    return run_abc(model, observed.summary(), ep.distance, db, priors=priors,
                   population=population, generations=generations, min_epsilon=min_epsilon,
                   seed=seed, backend=backend, workers=workers, scheduler=scheduler,
                   resume=resume, max_simulations=max_simulations, progress=progress)


def run_abc(model: Any, observed: dict[str, Any], distance: Any, db: Path, *,
            priors: tuple[Prior, ...], population: int, generations: int,
            min_epsilon: float = 0.0, seed: int = 1945, backend: str = "serial",
            workers: int | None = None, scheduler: str | None = None, resume: bool = False,
            max_simulations: int | None = None, progress: bool = True) -> FitResult:
    """ABC-SMC of any picklable ``model`` (parameters by pyabc key -> summary dict) against
    ``observed`` under ``distance``; the history is kept in ``db`` (resumable)."""
    require("calibrate", "the ABC-SMC fit")
    import pyabc

    quiet_pyabc(progress)
    executor = None
    # A batch model (the joint fit) runs rounds on the batch axis, and its log-uniform
    # parameters are proposed in log10 (pyabc's kernel then moves on the scale the prior is
    # flat on, so the importance weights do not swing with the prior's 1/x density).
    log_scale = hasattr(model, "discrepancies_many")
    prior = pyabc.Distribution(**{_key(p.path): p.rv(log_scale) for p in priors})
    if log_scale:
        from diplosim.experiment.executors import available_cores, make_executor

        n = workers or available_cores()
        executor = make_executor(backend, n, scheduler)
        model = Batched(model, executor, n if backend != "serial" else 1, priors)
        sampler = batch_sampler(model)
    else:
        sampler = make_sampler(backend, workers, scheduler)
    try:
        return _run_abc(pyabc.ABCSMC(model, prior, distance, population_size=population,
                                     sampler=sampler), observed, db, priors=priors,
                        population=population, generations=generations,
                        min_epsilon=min_epsilon, seed=seed, resume=resume,
                        max_simulations=max_simulations, log_scale=log_scale)
    finally:
        if executor is not None:
            executor.close()


def _run_abc(abc: Any, observed: dict[str, Any], db: Path, *, priors: tuple[Prior, ...],
             population: int, generations: int, min_epsilon: float, seed: int, resume: bool,
             max_simulations: int | None, log_scale: bool) -> FitResult:
    url = f"sqlite:///{db}"
    _seed_generation(seed, -1)  # the calibration sample of a new fit
    if resume:
        abc.load(url, 1)
    else:
        abc.new(url, observed)
    # pyabc's own loop (ABCSMC.run), with the global stream seeded at each generation from the
    # root seed and the generation's index: a serial fit interrupted between generations and
    # resumed draws what the uninterrupted fit drew, so it ends with the same numbers.
    done = abc.history.max_t + 1
    t = abc.initialize_components_before_run(
        minimum_epsilon=min_epsilon, max_nr_populations=max(generations - done, 0) or 1,
        min_acceptance_rate=0.0, max_total_nr_simulations=max_simulations or math.inf,
        max_walltime=None, min_eps_diff=0.0)
    while done < generations:
        if max_simulations:  # a hard budget: a generation stops when it would exceed it
            remaining = max_simulations - abc.history.total_nr_simulations
            if remaining < population:
                break
            abc.min_acceptance_rate = population / remaining
        _seed_generation(seed, t)
        result = abc.run_generation(t=t)
        if not result["successful"] or abc.check_terminate(
                t=t, acceptance_rate=result["acceptance_rate"]):
            break
        t += 1
        done += 1
    if abc.history.max_t < 0:  # the budget ran out before generation 0 was complete
        raise InputError.single(
            "the budget ended before the first generation was complete: there is no posterior",
            source="--max-simulations", value=max_simulations,
            allowed=f"a budget of several times --population ({population}), or a smaller "
                    "--population; --resume continues this fit with a larger budget")
    return fit_from_history(abc.history, priors, log_scale)


def _seed_generation(seed: int, t: int) -> None:
    """Seed NumPy's global stream, from which pyabc draws its proposals and the models their
    seeds, for generation ``t`` of a fit with root ``seed`` (-1: the calibration sample)."""
    state = np.random.SeedSequence([seed, t + 1]).generate_state(1)[0]
    np.random.seed(int(state))  # noqa: NPY002 - pyabc's global stream


def fit_from_history(history: Any, priors: tuple[Prior, ...],
                     log_scale: bool = False) -> FitResult:
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    posterior = frame.rename(columns=_path).reset_index(drop=True)
    posterior = posterior[[p.path for p in priors]].copy()
    for p in priors:  # back to the parameters' own scales
        posterior[p.path] = [p.natural(v, log_scale) for v in posterior[p.path]]
    posterior["weight"] = np.asarray(weights, dtype=float)
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0].rename(columns={"particles": "accepted"})
    gens = pd.DataFrame({"generation": pops["t"].to_numpy(),
                         "epsilon": pops["epsilon"].to_numpy(),
                         "simulations": pops["samples"].to_numpy()})
    gens["acceptance"] = (history.get_nr_particles_per_population().reindex(gens["generation"])
                          .to_numpy() / gens["simulations"].to_numpy())
    gens["ess"] = [effective_sample_size(history.get_distribution(m=0, t=int(t))[1])
                   for t in gens["generation"]]
    return FitResult(posterior=posterior, generations=gens, priors=priors)


@dataclass
class Predictive:
    """Posterior predictive check against a set of data episodes."""

    curves: np.ndarray  # (draws, len(GRID)) simulated Kaplan–Meier curves
    gaps: np.ndarray  # exact largest vertical gap of each draw's curve to the data's
    restored: np.ndarray  # share restored, per draw
    interests: np.ndarray  # share with an interests section, per draw
    data: ep.Episodes
    episodes: int
    # Posterior predictive p-values, sized for the data: per draw, a replicate sample of as many
    # episodes as the data, censored like them, is compared with the draw's large sample by the
    # same statistic as the data are; p = share of draws whose replicate is as far or farther.
    p_values: dict[str, float] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        d = self.data
        rows = []
        for name, values, observed in (
                ("km_gap", self.gaps, 0.0),
                ("restored_share", self.restored, float(d.restored.mean())),
                ("interests_share", self.interests, float(d.interests.mean()))):
            rows.append({"statistic": name, "data": observed, "median": np.median(values),
                         "q05": np.quantile(values, 0.05), "q95": np.quantile(values, 0.95),
                         "p_value": self.p_values.get(name, np.nan)})
        return pd.DataFrame(rows)


def predictive_check(template: Scenario, fit: FitResult, data_table: pd.DataFrame, *,
                     draws: int = 100, episodes: int = 400, seed: int = 7) -> Predictive:
    """Draw parameter sets from the posterior (by weight), simulate ``episodes`` episodes each,
    censored like ``data_table``'s, and compare with those episodes; the p-values compare the
    data with replicate samples of their own size and censoring (:class:`Predictive`)."""
    rng = np.random.default_rng(seed)
    data = ep.from_data(data_table)
    follow = ep.follow_up_years(data_table)
    model = RuptureModel(template.text, template.source, follow, episodes)
    replicate = RuptureModel(template.text, template.source, follow, len(data))
    post = fit.posterior
    p = post["weight"].to_numpy() / post["weight"].sum()
    rows = rng.choice(len(post), size=draws, p=p)
    curves, gaps, restored, interests = [], [], [], []
    extreme = {"km_gap": 0, "restored_share": 0, "interests_share": 0}
    for i, row in enumerate(rows):
        params = {_key(pr.path): float(post.iloc[row][pr.path]) for pr in fit.priors}
        sim = model.simulate(params, seed=int(rng.integers(2**31 - 1)) + i)
        rep = replicate.simulate(params, seed=int(rng.integers(2**31 - 1)) + i)
        curves.append(sim.survival())
        gaps.append(ep.km_gap(sim, data))
        restored.append(sim.restored.mean())
        interests.append(sim.interests.mean())
        extreme["km_gap"] += ep.km_gap(rep, sim) >= gaps[-1]
        for name, attr in (("restored_share", "restored"), ("interests_share", "interests")):
            expected = getattr(sim, attr).mean()
            extreme[name] += (abs(getattr(rep, attr).mean() - expected)
                              >= abs(getattr(data, attr).mean() - expected) - 1e-12)
    return Predictive(np.array(curves), np.array(gaps), np.array(restored), np.array(interests),
                      data, episodes, {k: v / draws for k, v in extreme.items()})
