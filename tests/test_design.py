"""Sensor choice by Fisher information: exact cases of the greedy D-optimal rule, and the
sensitivities of a fitted linear problem against the exact ones."""

import numpy as np
import pytest

import pinnlab
from pinnlab.design import choose_sensors, predicted_std, sensitivities


def test_one_parameter_takes_the_largest_sensitivities():
    s = np.array([[0.1], [-3.0], [2.0], [0.5]])
    assert list(choose_sensors(s, 2)) == [1, 2]
    assert predicted_std(s[[1, 2]], 1.0)[0] == pytest.approx(1 / np.sqrt(13.0))


def test_two_parameters_take_complementary_rows():
    # rows 0 and 1 see only the first parameter (the largest norms); D-optimal needs the second
    s = np.array([[5.0, 0.0], [4.9, 0.0], [0.0, 1.0]])
    assert sorted(choose_sensors(s, 2)) == [0, 2]


def test_sensitivity_of_a_linear_problem_is_exact(tmp_path):
    """u' = a, u(0) = 0: a sensor at x sees du = x da, so s(x) = x."""
    from pinnlab.testing import SLOPE_SPEC

    x = np.linspace(0.05, 1.0, 20)
    np.savetxt(tmp_path / "obs.csv", np.column_stack([x, 2.0 * x]), delimiter=",",
               header="x,u", comments="")
    (tmp_path / "slope.toml").write_text(SLOPE_SPEC)
    r = pinnlab.solve(tmp_path / "slope.toml", progress=False, evaluate=False)
    xs = np.array([0.1, 0.5, 0.9])
    s = sensitivities(r, {"x": xs}, "u")
    # measured (seeds 0, 1): x to the printed 4 digits
    np.testing.assert_allclose(s[:, 0], xs, rtol=5e-3, atol=1e-3)
