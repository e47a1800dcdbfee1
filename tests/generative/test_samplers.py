"""Every sampler against the exact probability-flow endpoint of an analytic Gaussian mixture."""

import math

import numpy as np
import pytest
import torch

from pinnlab.errors import DataError, SpecError
from pinnlab.generative.denoiser import Thresholding
from pinnlab.generative.multistep import dpmpp_multistep_step
from pinnlab.generative.sampling import METHODS, n_intervals, sample, theoretical_order
from pinnlab.generative.schedule import RectifiedFlowSchedule, VPSchedule
from pinnlab.generative.testing import assert_converges_at_order, mean_distance

FIXED = [m for m in METHODS if m != "dpm_solver_adaptive"]


def run(problem, method, nfe, schedule=None, prediction="noise", **kw):
    gm, y_start, sigma_start, _ = problem
    schedule = schedule or (RectifiedFlowSchedule() if method.startswith("rf_") else VPSchedule())
    t_start = float(schedule.t_of_sigma_tilde(sigma_start))
    x_T = torch.tensor(y_start * float(schedule.alpha(t_start)))
    return sample(gm.as_model(schedule, prediction), x_T, method, nfe, schedule=schedule,
                  prediction=prediction, t_start=t_start, **kw).numpy()


def order_grid(method):
    """The grid on which a method's theory holds: uniform log-SNR steps for the exponential
    integrators (on uniform-s/t grids the last log-SNR steps stay O(1) and the order drops to 2),
    uniform s for the flow integrators, Karras for EDM's Heun."""
    return "uniform_s" if method.startswith("rf_") else "karras" if method == "heun" else "logsnr"


@pytest.mark.parametrize("method", FIXED)
def test_converges_at_theoretical_order(mixture_problem, method):
    ref = mixture_problem[3]
    nfes = [59, 119, 239] if method in ("heun", "rf_heun") else [60, 120, 240]
    errors = [mean_distance(run(mixture_problem, method, n, grid=order_grid(method)), ref)
              for n in nfes]
    assert_converges_at_order(nfes, errors, theoretical_order(method), tol=0.4)


def test_adaptive_error_follows_tolerance(mixture_problem):
    ref = mixture_problem[3]
    loose, tight = {}, {}
    e_loose = mean_distance(run(mixture_problem, "dpm_solver_adaptive", 5000, rtol=1e-2,
                                atol=1e-4, info=loose), ref)
    e_tight = mean_distance(run(mixture_problem, "dpm_solver_adaptive", 5000, rtol=1e-4,
                                atol=1e-4, info=tight), ref)
    assert e_tight < e_loose / 10 and e_tight < 1e-4
    assert tight["nfe"] > loose["nfe"]


@pytest.mark.parametrize("method", FIXED)
def test_nfe_is_counted_exactly(mixture_problem, method):
    gm, y_start, sigma_start, _ = mixture_problem
    calls = []
    model = gm.as_model(VPSchedule())

    def counting(x, t):
        calls.append(1)
        return model(x, t)

    need = METHODS[method][1]
    for nfe in (need, need + 1, 2 * need + 5):
        calls.clear()
        info = {}
        sample(counting, torch.tensor(y_start[:4] / 80.0), method, nfe, info=info)
        assert len(calls) == nfe == info["nfe"]
        assert len(info["sigmas"]) == n_intervals(method, nfe) + 1 and info["sigmas"][-1] == 0.0


@pytest.mark.parametrize("method", FIXED)
def test_nfe_below_minimum_raises(method):
    need = METHODS[method][1]
    if need > 1:
        with pytest.raises(DataError):
            sample(lambda x, t: x, torch.zeros(2, 3), method, need - 1)


def test_bad_input_raises():
    with pytest.raises(DataError):
        sample(lambda x, t: x, torch.tensor([[float("nan"), 0.0]]), "ddim", 5)
    with pytest.raises(SpecError):
        sample(lambda x, t: x, torch.zeros(1, 2), "no_such_sampler", 5)
    with pytest.raises(SpecError):
        sample(lambda x, t: x, torch.zeros(1, 2), "ddim", 5, grid="quadratic")


@pytest.mark.parametrize("schedule", [VPSchedule("linear"), VPSchedule("cosine"),
                                      RectifiedFlowSchedule()])
def test_parameterisations_give_the_same_sample(mixture_problem, schedule):
    preds = ("noise", "data", "velocity")
    outs = [run(mixture_problem, "dpmpp_3m", 12, schedule, p) for p in preds]
    np.testing.assert_allclose(outs[1], outs[0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(outs[2], outs[0], rtol=0, atol=1e-9)


def test_rectified_flow_euler_is_ddim_on_mapped_grid(mixture_problem):
    """An Euler step in the flow variable s = sigma/(1+sigma) equals a DDIM step (samplers.md sec.
    1)."""
    rf = run(mixture_problem, "rf_euler", 10, RectifiedFlowSchedule(), "velocity", grid="logsnr")
    ddim = run(mixture_problem, "ddim", 10, VPSchedule(), "noise", grid="logsnr")
    np.testing.assert_allclose(rf, ddim, rtol=0, atol=1e-9)


def test_dpmpp_3m_local_order_on_closed_form_trajectory():
    """1-D Gaussian N(0, c): y(lambda) = K sqrt(c + e^{-2 lambda}), x0_hat = c y / (c + e^{-2
    lambda}).
    A third-order multistep step from exact history has local error O(h^4)."""
    c = 0.09
    y_of = lambda lam: math.sqrt(c + math.exp(-2 * lam))  # noqa: E731
    d_of = lambda lam: c * y_of(lam) / (c + math.exp(-2 * lam))  # noqa: E731
    errs, hs = [], [0.2, 0.1, 0.05]
    for h in hs:
        lams = [-2 * h, -h, 0.0]
        hist = [(math.exp(-lm), None, torch.tensor([d_of(lm)], dtype=torch.float64))
                for lm in lams]
        y = dpmpp_multistep_step(torch.tensor([y_of(0.0)], dtype=torch.float64), 1.0,
                                 math.exp(-h), hist, 3)
        errs.append(abs(y.item() - y_of(h)))
    slopes = np.log2(np.array(errs[:-1]) / np.array(errs[1:]))
    assert np.all(slopes > 3.7), slopes


def test_thresholding_clamps_x0():
    x0 = torch.tensor([[0.5, -3.0, 2.0, 0.1]])
    out = Thresholding(ratio=1.0, max_value=2.0)(x0)
    np.testing.assert_allclose(out.numpy(), [[0.25, -1.0, 1.0, 0.05]])
    out = Thresholding(max_value=1.5, dynamic=False)(x0)
    np.testing.assert_allclose(out.numpy(), [[0.5, -1.5, 1.5, 0.1]])


def test_thresholding_is_inactive_inside_range(mixture_problem):
    plain = run(mixture_problem, "dpmpp_2m", 10)
    clipped = run(mixture_problem, "dpmpp_2m", 10, threshold=Thresholding(max_value=100.0,
                                                                            dynamic=False))
    np.testing.assert_allclose(plain, clipped)
