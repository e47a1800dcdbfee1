"""LPINN end to end at a small budget, and the moving-shock Burgers reference."""

import numpy as np

import pinnlab
from pinnlab.reference.burgers_periodic import burgers_moving_frame, burgers_spectral


def test_small_lpinn_at_beta_30_is_accurate():
    p = pinnlab.load("problems/convection.toml").with_parameters({"beta": 30.0})
    r = pinnlab.solve(p, "lpinn", adam_steps=200, lbfgs_steps=50, residual_points=512,
                      progress=False)
    assert r.metrics["rel_l2"] < 5e-2  # on the 256 x 100 grid; ~1e-3 measured
    assert r.metrics["grid"] == {"x": 256, "t": 100}
    pred = r.predict({"x": np.array([1.0, 2.0]), "t": np.array([0.5, 0.5])})["u"]
    assert np.abs(pred - np.sin(np.array([1.0, 2.0]) - 15.0)).max() < 5e-2


def test_moving_frame_cole_hopf_matches_spectral_burgers():
    x = np.linspace(0, 2 * np.pi, 48)
    t = np.array([0.0, 0.5, 1.0])
    X, T = np.meshgrid(x, t, indexing="ij")

    def u0(y):
        return np.sin(y) + 5.0

    a = burgers_moving_frame(X, T, 0.01, u0, (0.0, 2 * np.pi))
    b = burgers_spectral(X, T, 0.01, u0, (0.0, 2 * np.pi))
    assert np.abs(a - b).max() < 1e-7
    assert np.abs(a[:, 0] - u0(x)).max() < 1e-12
    assert np.ptp(a[:, -1]) > 1.5  # the front steepens, not a trivially smooth field
