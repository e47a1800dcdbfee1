"""Case 1 (simplified physics): shooting reference, residual, small PINN solves, bad input."""

import numpy as np
import pytest
import torch

from pinnlab.errors import SpecError
from pinnlab.flames.case1 import Budget, check_bounds, noisy_observations, solve_forward
from pinnlab.flames.shooting import shoot_flame_speed
from pinnlab.flames.simple import ATM, SimpleFlame

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


def test_energy_residual_vanishes_on_reference(reference):
    """Finite-difference residual of the shooting profile, relative to T', is O(Δx)."""
    flame, ref = SimpleFlame(), reference
    burning = ref.T < flame.T_max - 50.0  # before the frozen tail of the last trial
    x, T = ref.x[burning], ref.T[burning]
    dT = np.gradient(T, x)
    d2T = np.gradient(dT, x)
    r = flame.energy_residual(T, dT, d2T, ref.s_L)
    rel = np.abs(r[2:-2]) / np.max(np.abs(dT))
    assert rel.max() < 5e-3


def test_small_budget_forward_solve(reference):
    result = solve_forward(SimpleFlame(), Budget(warmup=300, adam=600, lbfgs=200,
                                                 n_collocation=101))
    T = result.temperature(reference.x)
    # measured over seeds 0-5 at 1 and 2 threads: s_L within 0.26 %, T rel. L2 0.016-0.054
    assert result.s_L == pytest.approx(reference.s_L, rel=1e-2)
    assert np.linalg.norm(T - reference.T) / np.linalg.norm(reference.T) < 8e-2
    assert [s.name for s in result.stages] == ["warm-up", "adam", "lbfgs"]
    assert result.stages[-1].stop_reason


def test_bounds_that_exclude_solution_are_rejected():
    flame = SimpleFlame()
    with pytest.raises(SpecError, match="exclude"):
        check_bounds(flame, (flame.T_in, 3000.0), 0.4)
    with pytest.raises(SpecError, match="exclude"):
        check_bounds(flame, (400.0, 6000.0), 0.4)
    lower, upper = check_bounds(flame, None, 0.4)
    assert lower < flame.T_in and upper == flame.T_max


def test_noisy_observations_are_multiplicative(reference):
    clean = noisy_observations(reference.x, reference.T, reference.u, 10, 0.0)
    noisy = noisy_observations(reference.x, reference.T, reference.u, 10, 0.02, seed=1)
    rel = noisy.T / clean.T - 1.0
    assert 0.0 < np.std(rel) < 0.05
    assert clean.T[0] == pytest.approx(SimpleFlame().T_in)


def test_bad_flame_parameter_is_a_spec_error():
    with pytest.raises(SpecError):
        SimpleFlame(phi=-0.4)
