"""The specs of the accuracy table (``problems/accuracy/``): they load and pass ``check``,
the network holds the data they build in, their equations and conditions vanish on the
closed-form solutions their ``[reference]`` gives, and a very short solve runs and is scored
against that solution.

* Poisson: ``-(u_xx + u_yy) = 2 pi^2 sin(pi x) sin(pi y)`` on ``[0, 1]^2``, ``u = 0`` on the
  boundary; ``u = sin(pi x) sin(pi y)``.
* Wave: ``u_tt = c^2 u_xx`` on ``[0, 1] x [0, 1]``, ``u(0, t) = u(1, t) = 0``,
  ``u(x, 0) = sin(pi x) + sin(3 pi x)/2``, ``u_t(x, 0) = 0``;
  ``u = sin(pi x) cos(c pi t) + sin(3 pi x) cos(3 c pi t)/2``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import pinnlab
from pinnlab.api import prepare
from pinnlab.losses import compile_terms
from pinnlab.methods.exactness import report
from pinnlab.reference import reference_solution
from pinnlab.result import relative_l2
from pinnlab.testing import assert_residual_detects, assert_residual_vanishes, assert_terms_vanish

SPECS = Path(__file__).resolve().parent.parent / "problems" / "accuracy"
POISSON, WAVE = SPECS / "poisson2d.toml", SPECS / "wave.toml"
PI = math.pi


def poisson_exact(c: dict) -> dict:
    """``u = sin(pi x) sin(pi y)`` for numpy arrays or jets."""
    return {"u": _sin(c["x"] * PI) * _sin(c["y"] * PI)}


def wave_exact(speed: float) -> Callable[[dict], dict]:
    """``u = sin(pi x) cos(c pi t) + sin(3 pi x) cos(3 c pi t) / 2`` for numpy arrays or jets."""

    def fn(c: dict) -> dict:
        x, t = c["x"], c["t"]
        return {"u": _sin(x * PI) * _cos(t * (speed * PI))
                + 0.5 * _sin(x * (3 * PI)) * _cos(t * (3 * speed * PI))}

    return fn


def _sin(v):
    return np.sin(v) if isinstance(v, np.ndarray) else v.sin()


def _cos(v):
    return np.cos(v) if isinstance(v, np.ndarray) else v.cos()


CASES = {"poisson2d": (POISSON, poisson_exact), "wave": (WAVE, wave_exact(2.0))}


@pytest.mark.parametrize("name", sorted(CASES))
def test_spec_loads_and_passes_check(name: str) -> None:
    path, _ = CASES[name]
    problem = pinnlab.load(path)
    assert problem.name == name
    plan = prepare(problem)  # the validation `pinnlab check` runs
    assert plan.method == "pinn" and plan.config.adam_steps > 0 and plan.config.lbfgs_steps > 0
    terms = [t.name for t in compile_terms(problem, {"residual": 4, "boundary": 4,
                                                      "initial": 4})]
    assert len(terms) == len(set(terms)), f"loss terms share a name: {terms}"


def test_cli_check_accepts_both_specs(capsys: pytest.CaptureFixture[str]) -> None:
    from pinnlab.cli import main

    for path in (POISSON, WAVE):
        assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "poisson2d.toml: ok" in out and "wave.toml: ok" in out


def test_exact_and_soft_conditions() -> None:
    """Poisson: u = 0 on all four sides built in. Wave: displacement and fixed ends built in;
    the initial velocity (a time derivative) is a penalty term."""
    status = {}
    for path in (POISSON, WAVE):
        plan = prepare(path)
        for c in report(plan.problem, plan.module.__name__, plan.config):
            status[c["name"]] = c["status"]
    assert status == {"walls": "exact", "displacement": "exact", "velocity": "soft",
                      "ends": "exact"}


def test_untrained_network_holds_the_built_in_data() -> None:
    """Before any training: Poisson's u is 0 on every side; the wave's u is u0 at t = 0 and 0
    at both ends, while its u_t at t = 0 is free (not 0)."""
    import torch

    from pinnlab.jet import JetBasis
    from pinnlab.methods.pinn import PINNModel

    s = torch.linspace(0.0, 1.0, 11, dtype=torch.float64)
    zero, one = torch.zeros_like(s), torch.ones_like(s)
    for path, sides in ((POISSON, [(zero, s), (one, s), (s, zero), (s, one)]),
                        (WAVE, [(zero, s), (one, s)])):
        plan = prepare(path)
        model = PINNModel(plan.problem, plan.config, torch.Generator().manual_seed(1)).double()
        with torch.no_grad():
            for a, b in sides:
                assert model(torch.stack([a, b], 1)).abs().max() < 1e-12
            inside = model(torch.tensor([[0.3, 0.6], [0.7, 0.2]], dtype=torch.float64))
            assert inside.abs().min() > 1e-6
    with torch.no_grad():  # the wave at t = 0: u = u0(x), u_t free
        x0 = torch.stack([s, zero], 1)
        jet = model.fields_jet(x0, JetBasis(2, [(1,)]))
        u0 = torch.sin(PI * s) + 0.5 * torch.sin(3 * PI * s)
        assert (jet.value[:, 0] - u0).abs().max() < 1e-12
        assert jet.d((1,))[1:-1, 0].abs().max() > 1e-6


@pytest.mark.parametrize("name", sorted(CASES))
def test_equation_vanishes_on_exact_solution(name: str) -> None:
    """The equation by finite differences (independent of the jets) on the closed form."""
    path, exact = CASES[name]
    problem = pinnlab.load(path)
    assert_residual_vanishes(problem, exact, rtol=1e-6)
    assert_residual_detects(problem, lambda c: {"u": exact(c)["u"] * (1 + 0.1 * c["x"])})


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_term_vanishes_on_exact_solution(name: str) -> None:
    """Equation, boundary and initial terms (the initial velocity included), in jets."""
    path, exact = CASES[name]
    worst = assert_terms_vanish(pinnlab.load(path), exact, atol=1e-9)
    assert any(k.startswith("conditions.") for k in worst)


def test_wave_speed_override() -> None:
    """``--set c=1`` changes the equation: the c = 1 solution solves it, the c = 2 one not."""
    problem = pinnlab.load(WAVE).with_parameters({"c": 1.0})
    assert_residual_vanishes(problem, wave_exact(1.0))
    with pytest.raises(AssertionError, match="equations.wave"):
        assert_residual_vanishes(problem, wave_exact(2.0))
    ref = reference_solution(problem)
    np.testing.assert_allclose(ref.fields["u"], wave_exact(1.0)(ref.mesh())["u"], atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_reference_is_the_closed_form(name: str) -> None:
    path, exact = CASES[name]
    problem = pinnlab.load(path)
    ref = reference_solution(problem)
    assert all(len(a) >= 101 for a in ref.axes.values())
    np.testing.assert_allclose(ref.fields["u"], exact(ref.mesh())["u"], atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_short_solve_returns_finite_error(name: str) -> None:
    """50 Adam steps on few points: the error is finite and is the relative L2 norm of the
    prediction against the closed form on the reference grid."""
    path, exact = CASES[name]
    result = pinnlab.solve(path, adam_steps=50, lbfgs_steps=0, residual_points=256,
                           boundary_points=32, initial_points=32, threads=1, progress=False)
    err = result.metrics["rel_l2"]
    assert math.isfinite(err) and 0 < err < 10
    assert result.metrics["steps"] == 50
    mesh = result.reference.mesh()
    own = relative_l2(result.predict(mesh)["u"], exact(mesh)["u"])
    assert own == pytest.approx(err, rel=1e-9)
