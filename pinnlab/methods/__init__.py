"""Methods: each maps a problem and options to a trained :class:`~pinnlab.result.Result`.

``METHODS[name](problem, options, *, seed, device, out, resume, progress) -> Result``.
"""

from __future__ import annotations

from collections.abc import Callable


def _pinn(problem, options, **kw):
    from .run import run_pinn

    return run_pinn(problem, options, **kw)


METHODS: dict[str, Callable] = {"pinn": _pinn}


def register(name: str, runner: Callable) -> None:
    """Add a method ``runner(problem, options, *, seed, device, out, resume, progress)``."""
    METHODS[name] = runner
