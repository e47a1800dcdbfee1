"""Methods: each maps a problem and options to a trained :class:`~pinnlab.result.Result`.

``METHODS[name](problem, options, *, seed, device, out, resume, progress) -> Result``.
"""

from __future__ import annotations

from collections.abc import Callable


def _pinn(problem, options, **kw):
    from .run import run_pinn

    return run_pinn(problem, options, **kw)


def _lpinn(problem, options, **kw):
    from .lpinn import run_lpinn

    return run_lpinn(problem, options, **kw)


METHODS: dict[str, Callable] = {"pinn": _pinn, "lpinn": _lpinn}


def register(name: str, runner: Callable) -> None:
    """Add a method ``runner(problem, options, *, seed, device, out, resume, progress)``."""
    METHODS[name] = runner
