"""Numerical assertions for the generative package (in the spirit of e3nn's assert_equivariant)."""

from __future__ import annotations

import numpy as np


def convergence_slope(nfes, errors) -> float:
    """Least-squares slope p of log(error) = c - p log(nfe)."""
    x, y = np.log(np.asarray(nfes, float)), np.log(np.asarray(errors, float))
    return float(-np.polyfit(x, y, 1)[0])


def assert_converges_at_order(nfes, errors, order: float, tol: float = 0.35) -> float:
    """Assert that errors fall like nfe^-order (fitted slope within ``tol``); returns the slope."""
    errors = np.asarray(errors, float)
    assert np.all(np.isfinite(errors)) and np.all(errors > 0), f"bad errors {errors}"
    assert np.all(np.diff(errors) < 0), f"errors do not decrease with NFE: {errors}"
    slope = convergence_slope(nfes, errors)
    assert abs(slope - order) <= tol, f"measured order {slope:.2f}, expected {order} +- {tol}"
    return slope


def mean_distance(a, b) -> float:
    """Mean per-sample Euclidean distance between two (n, ...) arrays."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm((a - b).reshape(len(a), -1), axis=1).mean())
