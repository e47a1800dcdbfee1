"""A sampling check of the Laplace intervals: an ensemble of randomised refits.

Member ``k = 1 … K`` refits the PINN from its own initialisation (seed ``seed + k``) on the
observations drawn again with the noise they carry,

    y_k = y + σ ε_k,    ε_k ~ N(0, I)  (:func:`member_rng`: seeded by the run's seed, ``k``
                                        and the observed values themselves),

with σ in the spec's noise model (:meth:`~pinnlab.spec.problem.Observations.sigmas`):
``noise · RMS(y_c)`` per observed column ``c``, or ``noise · |y_i|`` per value when
``noise_model = "relative"``; when the spec gives no level, the one the Laplace approximation
estimated from the fit's residuals (:mod:`pinnlab.uncertainty`). The observed values enter
the seed so that two data sets never share their members' noise: with the seed alone, every
solve of a calibration study (seed 0, one data set per draw) re-used the same K noise vectors,
and on the flame Case 1 inverse problem (n = 10) those three happened to move λ by 1.6%
where noise moves it by 7–10%, in every draw alike (``results/inference/README.md``). For a
model linear in its
parameters with Gaussian noise this is randomise-then-optimise: the refits' estimates are
exact draws of the flat-prior posterior, ``θ_k − θ̂ ~ N(0, σ²(AᵀA)⁻¹)``. For a PINN the refits
also carry what a linearisation cannot: a fresh network each time, so a weakly identified
parameter (a valley of near-equal fits) shows its whole spread, at K times the training cost.

Reported (``metrics["uncertainty"]["ensemble"]``): the members' estimates, their standard
deviation, the interval ``θ̂ ± q sd`` around the main fit ``θ̂`` (``q`` Student's t quantile
for ``K − 1`` degrees of freedom: 4.30 for three members), the empirical 2.5–97.5% range of the
members, and their correlations.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math

import numpy as np


def member_rng(observations, seed: int, k: int) -> np.random.Generator:
    """Member ``k``'s noise generator: ``default_rng([seed, k, d])``, ``d`` the first 8 bytes of
    the SHA-256 of the observed values (column names and float64 bytes, in column order)."""
    digest = hashlib.sha256()
    for c, v in observations.values.items():
        digest.update(c.encode() + np.ascontiguousarray(v, dtype=np.float64).tobytes())
    return np.random.default_rng([seed, k, int.from_bytes(digest.digest()[:8], "little")])


def redraw(observations, sigma: dict[str, np.ndarray], seed: int, k: int):
    """The observations with member ``k``'s fresh noise (``sigma``: absolute σ per entry, by
    column), drawn column by column from :func:`member_rng`."""
    rng = member_rng(observations, seed, k)
    values = {c: np.asarray(v) + sigma[c] * rng.standard_normal(np.shape(v))
              for c, v in observations.values.items()}
    return dataclasses.replace(observations, values=values)


def entry_sigmas(observations, estimated: float | None = None) -> dict[str, np.ndarray]:
    """Absolute noise of every entry, by column, in the spec's noise model: ``noise · RMS(y_c)``
    per column, or ``noise · |y_i|`` per value (``noise_model = "relative"``); without a spec
    level, the Laplace fit's ``estimated`` σ̂_d in data-term units (times ``mean|y_c|``, or
    ``|y_i|``)."""
    if observations.noise:
        return observations.sigmas()
    level = float(estimated or 0.0)
    if observations.noise_model == "relative":
        return observations.sigmas(level)
    return {c: np.full(np.shape(v), level * float(np.nanmean(np.abs(np.asarray(v, float)))))
            for c, v in observations.values.items()}


def student_quantile(size: int) -> float:
    """The 97.5% quantile of Student's t with ``size − 1`` degrees of freedom: the factor of a
    95% interval ``θ̂ ± q · sd`` when the sd comes from ``size`` members (4.30 for 3, 2.26 for
    10, → 1.96); NaN below two members."""
    from scipy.stats import t

    return float(t.ppf(0.975, size - 1)) if size > 1 else math.nan


def summarise(estimate: dict[str, float], members: list[dict[str, float]]) -> dict:
    """Spread, intervals (``θ̂ ± q sd``, :func:`student_quantile`: a handful of members
    estimate the sd loosely, and the t quantile keeps the interval's coverage at 95% for a
    Gaussian spread) and correlations of the members' estimates around ``estimate``."""
    names = list(estimate)
    theta = np.array([[m[n] for n in names] for m in members], dtype=float)
    sd = theta.std(axis=0, ddof=1) if len(members) > 1 else np.full(len(names), math.nan)
    corr = np.corrcoef(theta, rowvar=False) if len(names) > 1 else np.ones((1, 1))
    corr = np.atleast_2d(corr)
    q = student_quantile(len(members))
    return {"members": members, "size": len(members), "quantile": q,
            "std": {n: float(s) for n, s in zip(names, sd, strict=True)},
            "interval": {n: [estimate[n] - q * float(s), estimate[n] + q * float(s)]
                         for n, s in zip(names, sd, strict=True)},
            "range_95": {n: [float(np.percentile(theta[:, i], 2.5)),
                             float(np.percentile(theta[:, i], 97.5))]
                         for i, n in enumerate(names)},
            "correlation": {a: {b: float(corr[i, j]) for j, b in enumerate(names)}
                            for i, a in enumerate(names)}}


def refits(problem, cfg, ctx, size: int, estimate: dict[str, float],
           noise_estimated: float | None) -> dict:
    """Train ``size`` members (module docstring) quietly, writing nothing, their Adam phases
    batched (:mod:`pinnlab.batched`), and summarise them around the main fit's ``estimate``."""
    from .batched import train_many

    sigma = entry_sigmas(problem.observations, noise_estimated)
    problems = [dataclasses.replace(problem, observations=redraw(problem.observations, sigma,
                                                                 ctx.seed, k))
                for k in range(1, size + 1)]
    quiet = dataclasses.replace(ctx, out=None, resume=False, progress=False, on_row=None,
                                monitor=None)
    trained = train_many(problems, cfg, quiet, [ctx.seed + k for k in range(1, size + 1)])
    members = [model.params.estimates() for model, _ in trained]
    out = summarise(estimate, members)
    out["noise"] = sigma
    out["method"] = "ensemble of refits on re-noised observations (randomise-then-optimise)"
    return out
