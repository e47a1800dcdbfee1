"""The public entry points: :func:`load` and :func:`solve`."""

from __future__ import annotations

import os

from .errors import SpecError
from .result import Result
from .spec.problem import Problem


def load(path: str | os.PathLike) -> Problem:
    """Read and validate a TOML problem spec (see :mod:`pinnlab.spec.toml`)."""
    from .spec.toml import load as _load

    return _load(path)


def solve(problem: Problem | str | os.PathLike, method: str = "pinn", *, seed: int = 0,
          device: str = "cpu", out: str | None = None, resume: bool = False,
          progress: bool = True, parameters: dict[str, float] | None = None,
          evaluate: bool = True, **options) -> Result:
    """Train ``method`` on ``problem`` and return a :class:`Result`.

    Args:
        problem: a :class:`Problem` or the path of a TOML spec.
        method: ``pinn`` (default) or another registered method (``pinnlab.methods.METHODS``).
        seed: seeds every random choice (network init, points); same seed, same numbers.
        device: ``cpu`` or ``cuda`` (one code path for both).
        out: folder for the checkpoint and, after training, ``metrics.json``,
            ``solution.npz``, ``loss.png``, ``solution.png``.
        resume: continue from ``out/checkpoint.pt``.
        parameters: known values overriding the spec's parameters (``--set beta=50``).
        evaluate: compare with the spec's reference solution (``metrics['rel_l2']``).
        **options: method options overriding the spec's ``[training]`` table, e.g.
            ``adam_steps=2000, lbfgs_steps=0, dtype="float32", causal=True``.
    """
    from .methods import METHODS

    if not isinstance(problem, Problem):
        problem = load(problem)
    if parameters:
        problem = problem.with_parameters(parameters)
    if method not in METHODS:
        raise SpecError(f"unknown method {method!r} (known: {', '.join(sorted(METHODS))})",
                        key="method")
    if str(device).startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise SpecError("device 'cuda' requested but no CUDA device is available",
                            key="device")
    result = METHODS[method](problem, options, seed=seed, device=device, out=out,
                             resume=resume, progress=progress)
    if evaluate and problem.reference is not None:
        result.evaluate()
    if out is not None:
        result.save(out)
    return result
