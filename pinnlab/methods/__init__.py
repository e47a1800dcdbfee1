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


def _multidomain(problem, options, **kw):
    from .multidomain import run_multidomain

    return run_multidomain(problem, options, **kw)


def _preset(name: str) -> Callable:
    def runner(problem, options, **kw):
        return _multidomain(problem, {"interface_conditions": name, **options}, **kw)

    return runner


METHODS: dict[str, Callable] = {"pinn": _pinn, "lpinn": _lpinn, "multidomain": _multidomain,
                                "xpinn": _preset("xpinn"), "cpinn": _preset("cpinn")}


def register(name: str, runner: Callable) -> None:
    """Add a method ``runner(problem, options, *, seed, device, out, resume, progress)``."""
    METHODS[name] = runner
