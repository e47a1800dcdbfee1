"""Module-level trial functions for tests/test_runner.py.

Spawned and Ray workers import these by module name (``runner_trials``), so the tests put this
folder on ``sys.path`` before the workers start; a function defined inside a test file could not be
imported by them under pytest's ``--import-mode=importlib``.
"""

from __future__ import annotations

import os


def fit_line(trial: dict) -> tuple[float, float]:
    """Least-squares line through seeded noisy samples, fitted by 400 steps of gradient descent.

    Returns (slope, intercept); deterministic for a given trial on one torch thread.
    """
    import torch

    g = torch.Generator().manual_seed(trial["seed"])
    x = torch.linspace(-1.0, 1.0, 64, dtype=torch.float64)
    y = trial["slope"] * x + trial["intercept"] + 0.1 * torch.randn(64, generator=g,
                                                                     dtype=torch.float64)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.5)
    for _ in range(400):
        opt.zero_grad()
        loss = ((w[0] * x + w[1] - y) ** 2).mean()
        loss.backward()
        opt.step()
    return float(w[0].detach()), float(w[1].detach())


def samples(trial: dict) -> tuple[list[float], list[float]]:
    """The (x, y) samples fit_line fits, for the closed-form reference."""
    import torch

    g = torch.Generator().manual_seed(trial["seed"])
    x = torch.linspace(-1.0, 1.0, 64, dtype=torch.float64)
    y = trial["slope"] * x + trial["intercept"] + 0.1 * torch.randn(64, generator=g,
                                                                     dtype=torch.float64)
    return x.tolist(), y.tolist()


def dies_once(trial: dict) -> tuple[float, float]:
    """Kill the worker process on the first attempt of a trial with a ``marker`` path."""
    marker = trial.get("marker")
    if marker and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return fit_line(trial)


def always_dies(trial: dict) -> tuple[float, float]:
    """Kill the worker on every attempt of a trial marked ``die``."""
    if trial.get("die"):
        os._exit(1)
    return fit_line(trial)


def fails(trial: dict) -> tuple[float, float]:
    """Raise ValueError for a trial marked ``bad`` (an error of fn itself, not of the worker)."""
    if trial.get("bad"):
        raise ValueError(f"bad trial {trial['seed']}")
    return fit_line(trial)


def where(trial: dict) -> tuple[int, int, str | None]:
    """(process id, torch threads, OMP_NUM_THREADS) of the process that ran the trial."""
    import torch

    return os.getpid(), torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
