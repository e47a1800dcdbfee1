"""The ensemble of randomised refits (:mod:`pinnlab.ensemble`) on linear regression written as
a spec (u' = a, u(0) = 0, 30 noisy readings: :func:`pinnlab.testing.slope_problem`): each member
refits the data with its own fresh noise draw, so its slope must be that draw's least-squares
slope, and the reported spread must be the spread of those slopes."""

import dataclasses

import numpy as np
import pytest

import pinnlab
from pinnlab.ensemble import entry_sigmas, member_rng, redraw, summarise
from pinnlab.spec.problem import Observations
from pinnlab.testing import slope_problem


def test_members_are_least_squares_fits_of_their_redraws(tmp_path):
    spec, x, y_obs, sigma = slope_problem(tmp_path, 3)
    size, seed = 4, 5
    r = pinnlab.solve(spec, progress=False, evaluate=False, ensemble=size,
                      seed=seed)
    ens = r.metrics["uncertainty"]["ensemble"]
    exact_sd = sigma / np.sqrt(np.sum(x**2))
    sigma_spec = 0.05 * np.sqrt(np.mean(y_obs**2))  # the rule: noise · RMS of the data
    obs = pinnlab.load(spec).observations
    slopes = []
    for k in range(1, size + 1):
        y_k = y_obs + sigma_spec * member_rng(obs, seed, k).standard_normal(x.size)
        slopes.append(float(np.sum(x * y_k) / np.sum(x**2)))
    fitted = [m["a"] for m in ens["members"]]
    # measured (seed 0, 8 members): |member - its LS slope| <= 0.07 exact_sd
    assert np.abs(np.array(fitted) - slopes).max() < 0.25 * exact_sd
    assert ens["std"]["a"] == pytest.approx(np.std(slopes, ddof=1), rel=0.15)
    lo, hi = ens["interval"]["a"]
    assert (lo + hi) / 2 == pytest.approx(r.metrics["params"]["a"], abs=1e-12)


def test_redraw_and_summary():
    obs = Observations(coords={"x": np.zeros(4000)}, values={"u": np.full(4000, 3.0)}, noise=0.1)
    sigma = entry_sigmas(obs)
    assert sigma["u"] == pytest.approx(np.full(4000, 0.3))
    assert entry_sigmas(Observations({"x": np.zeros(2)}, {"u": np.array([1.0, -3.0])}), 0.5
                        )["u"] == pytest.approx([1.0, 1.0])
    rel = Observations({"x": np.zeros(2)}, {"u": np.array([1.0, -3.0])}, noise=0.1,
                       noise_model="relative")
    assert entry_sigmas(rel)["u"] == pytest.approx([0.1, 0.3])  # noise · |y_i|
    assert entry_sigmas(dataclasses.replace(rel, noise=0.0), 0.5)["u"] == pytest.approx([0.5, 1.5])
    a, b = redraw(obs, sigma, 0, 1).values["u"], redraw(obs, sigma, 0, 2).values["u"]
    assert np.std(a - 3.0) == pytest.approx(0.3, rel=0.1)  # 4000 draws: ±2.2% (1 sd)
    assert not np.allclose(a, b)
    assert np.array_equal(a, redraw(obs, sigma, 0, 1).values["u"])  # reproducible
    # another data set, same seed and member: other noise (a calibration study's draws must
    # not share their members' noise)
    other = dataclasses.replace(obs, values={"u": np.full(4000, 3.0 + 1e-9)})
    assert not np.allclose(redraw(other, sigma, 0, 1).values["u"] - 3.0 - 1e-9, a - 3.0)
    s = summarise({"p": 1.0, "q": 2.0}, [{"p": 0.0, "q": 1.0}, {"p": 2.0, "q": 3.0},
                                         {"p": 1.0, "q": 2.0}])
    t2 = 4.302652729749462  # Student's t, 97.5%, two degrees of freedom (three members)
    assert s["std"]["p"] == pytest.approx(1.0) and s["interval"]["q"] == pytest.approx(
        [2.0 - t2, 2.0 + t2], rel=1e-9)
    assert s["correlation"]["p"]["q"] == pytest.approx(1.0)
