"""Function sampling for the GPME family (ProbConserv data layout).

Each *function* is one exact solution u(t, x; p) with its family parameter p. Its context and
target sets are drawn the same way: the time domain is cut into ``t_slots`` equal intervals, one
random time is drawn in each, and ``n / t_slots`` random x positions at that time. Inputs are
returned both in physical units and scaled to [0, 1]² (what the networks see).

Shapes: ``params`` (B,), ``*_t`` / ``*_x`` / ``*_u`` (B, n). Everything float64 numpy; the models
convert to their own dtype and device.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pinnlab.conservation.problems import GPMEProblem


@dataclass
class FunctionBatch:
    """Context and target points of B functions; physical coordinates, float64."""

    params: np.ndarray
    context_t: np.ndarray
    context_x: np.ndarray
    context_u: np.ndarray
    target_t: np.ndarray
    target_x: np.ndarray
    target_u: np.ndarray


def scale_inputs(problem: GPMEProblem, t: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Map physical (t, x) of any shape (...) to the unit square, stacked as (..., 2) [t, x]."""
    (t0, t1), (x0, x1) = problem.t_range, problem.x_range
    return np.stack([(t - t0) / (t1 - t0), (x - x0) / (x1 - x0)], axis=-1)


def _points(problem: GPMEProblem, b: int, n: int, rng: np.random.Generator):
    slots = problem.t_slots
    per = n // slots
    (t0, t1), (x0, x1) = problem.t_range, problem.x_range
    edges = np.linspace(t0, t1, slots + 1)
    t_slot = rng.uniform(edges[:-1], edges[1:], size=(b, slots))  # one time per interval
    t = np.repeat(t_slot, per, axis=1)
    x = rng.uniform(x0, x1, size=(b, n))
    return t, x


def sample_functions(
    problem: GPMEProblem,
    n_functions: int,
    rng: np.random.Generator,
    params: np.ndarray | float | None = None,
) -> FunctionBatch:
    """Draw ``n_functions`` functions; p ~ U(train range) unless ``params`` (scalar or (B,))."""
    if params is None:
        params = rng.uniform(*problem.train_range, size=n_functions)
    params = np.broadcast_to(np.asarray(params, dtype=np.float64), (n_functions,)).copy()
    ct, cx = _points(problem, n_functions, problem.n_context, rng)
    tt, tx = _points(problem, n_functions, problem.n_target, rng)
    cu = np.stack([problem.solution(ct[i], cx[i], p) for i, p in enumerate(params)])
    tu = np.stack([problem.solution(tt[i], tx[i], p) for i, p in enumerate(params)])
    return FunctionBatch(params, ct, cx, cu, tt, tx, tu)
