"""GPME specs: the TOML files describe the same problems as the built-in setups; bad specs raise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from pinnlab.conservation.problems import builtin_problem, load_problem
from pinnlab.errors import DataError, SpecError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("family", ["diffusion", "pme", "stefan"])
def test_toml_spec_matches_builtin(family):
    spec = load_problem(ROOT / "problems" / f"gpme_{family}.toml")
    assert spec == builtin_problem(family)
    # exact mass agrees with the trapezoid rule on a fine grid at the evaluation time
    p = spec.test_values[-1]
    x = spec.x_grid(20001)
    u = spec.solution(spec.eval_time, x, p)
    assert np.trapezoid(u, x) == pytest.approx(float(spec.mass(spec.eval_time, p)), abs=2e-4)


def test_mass_outside_time_domain_raises():
    with pytest.raises(DataError):
        builtin_problem("stefan").mass(0.2, 0.6)


def test_bad_specs_raise(tmp_path):
    bad = tmp_path / "bad.toml"
    good = (ROOT / "problems" / "gpme_stefan.toml").read_text()
    bad.write_text(good.replace('family = "stefan"', 'family = "burgers"'))
    with pytest.raises(SpecError, match="reference.family: must be one of"):
        load_problem(bad)
    bad.write_text(good.replace("time = 0.05", "time = 0.5"))
    with pytest.raises(SpecError, match="conservation.time: must lie in the time range"):
        load_problem(bad)
    bad.write_text(good.replace("u_star = [0.55, 0.7]", "u_star = [0.55, 1.7]"))
    with pytest.raises(SpecError):
        load_problem(bad)
    bad.write_text(good.replace('solver = "gpme"', 'solver = "exact"'))
    with pytest.raises(SpecError, match="reference"):
        load_problem(bad)
