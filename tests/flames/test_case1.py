"""Case 1 (simplified physics): the shooting reference, and the core-language specs
(``problems/flames/case1_*.toml``) solved by ``pinnlab.solve``: residual, small solves, bounds,
synthetic observations."""

import os

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.errors import SpecError
from pinnlab.flames.shooting import shoot_flame_speed
from pinnlab.flames.simple import ATM, SimpleFlame
from pinnlab.reference import noisy_samples
from pinnlab.testing import assert_residual_vanishes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SPEC = os.path.join(ROOT, "problems", "flames", "case1_forward.toml")

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def reference():
    return shoot_flame_speed(SimpleFlame())


def test_shooting_reproduces_published_flame_speed(reference):
    assert reference.s_L == pytest.approx(0.29293, abs=5e-6)


@pytest.mark.parametrize("phi, p_atm, T_in, s_ref", [
    (0.40, 1.0, 298.0, 0.26794), (0.50, 1.2, 298.0, 0.38062), (0.40, 1.0, 600.0, 0.69125)])
def test_shooting_matches_published_table(phi, p_atm, T_in, s_ref):
    flame = SimpleFlame(phi=phi, pressure=p_atm * ATM, T_in=T_in)
    assert shoot_flame_speed(flame).s_L == pytest.approx(s_ref, abs=5e-6)


def test_shooting_converges_at_first_order():
    """Semi-implicit Euler has O(Δx) error in s_L: the error ratio for Δx → Δx/4 is ≈ 4."""
    flame = SimpleFlame()
    s = [shoot_flame_speed(flame, n_points=n).s_L for n in (1000, 4000, 16000)]
    ratio = (s[0] - s[1]) / (s[1] - s[2])
    assert ratio == pytest.approx(4.0, rel=0.1)


def test_spec_equation_vanishes_on_the_shooting_profile(reference):
    """The spec's energy equation (definitions, bounds and all) on the shooting profile, with
    the shooting flame speed: zero up to the shooting's first-order error."""
    problem = pinnlab.load(SPEC).with_parameters({"s_L": reference.s_L})
    burning = reference.T < SimpleFlame().T_max - 50.0
    x = reference.x[burning][200:-200:50]

    def exact(c):
        return {"T": np.interp(c["x"], reference.x, reference.T)}

    # the residual is scaled by (5/T_max)(L/10): 1e-3 relative to T' ~ 1e6 K/m
    assert_residual_vanishes(problem, exact, points=x[:, None], rtol=5e-3, h=2e-7)


def test_small_budget_forward_solve(reference):
    result = pinnlab.solve(SPEC, progress=False, warmup_steps=300, adam_steps=600,
                           lbfgs_steps=200, residual_points=101)
    # measured over seeds 0-3 at 1 and 2 threads: s_L within 0.3 %, T rel. L2 0.013-0.049
    assert result.metrics["params"]["s_L"] == pytest.approx(reference.s_L, rel=1e-2)
    assert result.metrics["rel_l2"] < 8e-2
    assert list(result.metrics["optimizer_stops"]) == ["0:warmup", "1:adam", "2:lbfgs"]


def test_bounds_that_exclude_the_solution_are_rejected():
    problem = pinnlab.load(SPEC)
    with pytest.raises(SpecError, match="bounds need low < high"):
        problem.bounds = {"T": ("T_max", "T_in")}
        problem.validate()


def test_noisy_samples_are_multiplicative(reference):
    clean = noisy_samples(reference.x, {"T": reference.T}, 10, 0.0)
    noisy = noisy_samples(reference.x, {"T": reference.T}, 10, 0.02, seed=1)
    rel = noisy["T"] / clean["T"] - 1.0
    assert 0.0 < np.std(rel) < 0.05
    assert clean["T"][0] == pytest.approx(SimpleFlame().T_in)


def test_bad_flame_parameter_is_a_spec_error():
    with pytest.raises(SpecError):
        SimpleFlame(phi=-0.4)
