"""Quick runs: one switch that shrinks a method's budget for a first look or a notebook.

``pinnlab solve --quick`` (also ``check``, ``bandit``, ``sweep``), ``pinnlab.solve(...,
quick=True)`` and the environment variable ``PINNLAB_QUICK=1`` all go through
:func:`quick_overrides`: Adam and L-BFGS steps, point counts and a prior's evaluations and
samples are capped (see ``CAPS``; a spec's smaller value is kept) and ``compile`` is turned
off (a one-off compilation does not pay back in a short run). Options given explicitly
(``--steps``, ``--lbfgs-steps``, ``--option``, ``--compile``, keyword options of
:func:`pinnlab.solve`) always win over the quick values.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .errors import SpecError

if TYPE_CHECKING:  # this module stays light: the command-line help reads CAPS
    from .options import Options

ENV = "PINNLAB_QUICK"
"""The environment variable that turns quick runs on (``1``) where no flag says otherwise."""

CAPS: dict[str, int] = {
    "adam_steps": 300,
    "lbfgs_steps": 200,
    "warmup_steps": 100,
    "residual_points": 1024,
    "boundary_points": 128,
    "initial_points": 128,
    "interface_points": 128,
    "nfe": 10,
    "samples": 2,
    "gp_iters": 20,
}
"""The largest value of each budget option in a quick run."""

OFF = ("compile",)
"""Switches a quick run turns off."""

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def enabled(flag: bool | None = None) -> bool:
    """Whether a run is quick: ``flag`` when it is given, else ``PINNLAB_QUICK`` (``1``,
    ``true``, ``yes`` or ``on``; unset, ``0``, ``false``, ``no`` or ``off`` mean no)."""
    if flag is not None:
        return bool(flag)
    value = os.environ.get(ENV, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SpecError(f"must be 1 (quick runs) or 0, got {value[:20]!r}", key=ENV)


def quick_overrides(cfg: Options, explicit: Iterable[str] = ()) -> dict[str, object]:
    """The option values that make the run ``cfg`` describes quick, leaving out the options
    named in ``explicit`` (given by the user, they win) and options the method does not have."""
    fields = type(cfg).model_fields
    explicit = set(explicit)
    out: dict[str, object] = {}
    for key, cap in CAPS.items():
        if key in fields and key not in explicit:
            out[key] = min(int(getattr(cfg, key)), cap)
    for key in OFF:
        if key in fields and key not in explicit:
            out[key] = False
    return out


HELP = "a short run for a first look (also PINNLAB_QUICK=1); explicit values still win"


def fill_budget(args, defaults: dict[str, tuple[object, object]]) -> bool:
    """For commands with their own budget arguments (``conserve``, ``prior``): set each argument
    left unset (``None``) to its quick value in a quick run (``--quick`` or ``PINNLAB_QUICK=1``),
    else to its normal one (``defaults``: name -> (normal, quick)). Returns whether it is quick."""
    quick = enabled(True if getattr(args, "quick", False) else None)
    for name, (normal, small) in defaults.items():
        if getattr(args, name, None) is None:
            setattr(args, name, small if quick else normal)
    return quick
