"""Observations of different fields at different points: an empty CSV cell means "not
measured there" (NaN), and the data term, the warm-up fit and the noise estimates use the
measured values only."""

import math

import numpy as np
import pytest
import torch

import pinnlab
from pinnlab.errors import DataError
from pinnlab.losses import compile_terms
from pinnlab.spec.toml import from_dict
from pinnlab.testing import ExactModel, assert_terms_vanish

C = math.pi**2
U_AT = (0.1, 0.3, 0.5)  # u = sin(pi x) measured here
V_AT = (0.6, 0.8, 0.9)  # v = u_x = pi cos(pi x) measured here


def _write(folder, rows: list[str]) -> None:
    (folder / "obs.csv").write_text("x,u,v\n" + "\n".join(rows) + "\n")


def _problem(folder, **training):
    """u_x = v, v_x = -c u on [0, 1] with c unknown; u at three points, v at three others."""
    rows = [f"{x},{math.sin(math.pi * x)}," for x in U_AT]
    rows += [f"{x},,{math.pi * math.cos(math.pi * x)}" for x in V_AT]
    _write(folder, rows)
    raw = {"domain": {"x": [0, 1]}, "fields": ["u", "v"],
           "parameters": {"c": {"guess": 5.0, "bounds": [1.0, 30.0]}},
           "equations": {"du": "u_x - v", "dv": "v_x + c*u"},
           "observations": {"file": "obs.csv"},
           "training": {"width": 16, "depth": 2, "residual_points": 64, "sampling": "grid",
                        "adam_steps": 500, "lbfgs_steps": 500, **training}}
    return from_dict(raw, source=str(folder / "spec.toml"), directory=str(folder))


def test_the_data_term_holds_the_measured_values_only(tmp_path):
    problem = _problem(tmp_path)
    u, v = problem.observations.values["u"], problem.observations.values["v"]
    assert np.isnan(u[3:]).all() and np.isfinite(u[:3]).all()
    assert np.isnan(v[:3]).all() and np.isfinite(v[3:]).all()
    worst = assert_terms_vanish(  # a NaN leaking into a residual would fail here
        problem, lambda c: {"u": (math.pi * c["x"]).sin(), "v": (math.pi * c["x"]).cos() * math.pi},
        params={"c": C}, atol=1e-9)
    assert "data" in worst
    (term,) = [t for t in compile_terms(problem, {"residual": 8, "boundary": 8, "initial": 8},
                                        dtype=torch.float64) if t.name == "data"]
    zero = ExactModel(problem, lambda c: {"u": c["x"] * 0.0, "v": c["x"] * 0.0})
    r = term.residual(term.fixed, zero.fields_jet(term.fixed, term.basis),
                      {"c": torch.tensor(C, dtype=torch.float64)})
    # on u = v = 0 each measured value y gives -y / mean|y| of its column, row by row
    expected = np.concatenate([-u[:3] / np.abs(u[:3]).mean(), -v[3:] / np.abs(v[3:]).mean()])
    np.testing.assert_allclose(r.numpy(), expected, rtol=1e-12)


def test_fields_measured_at_different_points_fix_the_solution(tmp_path):
    r = pinnlab.solve(_problem(tmp_path, warmup_steps=100), progress=False, seed=0)
    x = np.linspace(0, 1, 101)[:, None]
    out = r.predict(x)
    exact_u, exact_v = np.sin(np.pi * x[:, 0]), np.pi * np.cos(np.pi * x[:, 0])
    # measured over seeds 0-2, 1 and 2 threads: u 5e-5 to 3.2e-4, v 2e-5 to 4e-4, c 4e-6 to
    # 4.5e-4 relative
    assert np.linalg.norm(out["u"] - exact_u) / np.linalg.norm(exact_u) < 3e-3
    assert np.linalg.norm(out["v"] - exact_v) / np.linalg.norm(exact_v) < 3e-3
    assert r.metrics["params"]["c"] == pytest.approx(C, rel=3e-3)


@pytest.mark.parametrize("rows,key", [
    (["0.1,1.0,", ",0.5,2.0"], "observations.file"),          # a coordinate must be given
    (["0.1,1.0,nan", "0.2,0.5,2.0"], "observations:v"),       # 'nan' is not 'not measured'
    (["0.1,1.0,", "0.2,0.5,"], "observations:v"),             # v is never measured
])
def test_bad_partial_observations_are_refused_by_name(tmp_path, rows, key):
    _write(tmp_path, rows)
    raw = {"domain": {"x": [0, 1]}, "fields": ["u", "v"], "equations": {"e": "u_x - v"},
           "observations": {"file": "obs.csv"}}
    with pytest.raises(DataError) as err:
        from_dict(raw, source=str(tmp_path / "spec.toml"), directory=str(tmp_path)).validate()
    assert key in str(err.value)
