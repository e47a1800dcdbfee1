"""Run a detailed or counterflow flame case file's Cantera reference, with metrics and outputs.

``reference(case)`` returns a dict of metrics (JSON-able); with ``out`` it also writes
``metrics.json`` and ``solution.npz`` there. (Case 1, the simplified-physics flame, is a
core-language spec: ``pinnlab solve problems/flames/case1_forward.toml``.)
"""

from __future__ import annotations

import time
from pathlib import Path

from ..errors import SpecError
from ..io import atomic_json
from .simple import ATM
from .spec import FlameCase


def reference(case: FlameCase, out: Path | None = None) -> dict:
    """Cantera reference of a detailed or counterflow ``case``."""
    return _cantera_reference(case, out)


_MIXTURE_KEYS = ("mechanism", "phi", "fuel", "oxidizer", "composition", "T_in", "pressure_atm",
                 "width", "mdot_unburned", "mdot_burned", "burned")


def mixture(case: FlameCase):
    """The :class:`~pinnlab.flames.cantera_ref.Mixture` of a detailed or counterflow case.

    ``flame.mechanism`` is a path relative to the case file, or a name in Cantera's data folder.
    """
    from .cantera_ref import Mixture

    fl, file = case.flame, str(case.path)
    for key in fl:
        if key not in _MIXTURE_KEYS:
            raise SpecError(f"unknown key; expected one of {_MIXTURE_KEYS}", file=file,
                            key=f"flame.{key}")
    if "mechanism" not in fl:
        raise SpecError("missing mechanism file", file=file, key="flame.mechanism")
    mech = str(fl["mechanism"])
    if (case.path.parent / mech).exists() or "/" in mech or "\\" in mech:
        from ..io import data_file

        mech = data_file(mech, base=str(case.path.parent), file=str(case.path),
                         key="flame.mechanism")
    return Mixture(mech, T_in=float(fl.get("T_in", 300.0)),
                   pressure=float(fl.get("pressure_atm", 1.0)) * ATM, phi=fl.get("phi"),
                   fuel=str(fl.get("fuel", "CH4:1")),
                   oxidizer=str(fl.get("oxidizer", "O2:1, N2:3.76")),
                   composition=fl.get("composition"))


def _cantera_reference(case: FlameCase, out: Path | None) -> dict:
    from .cantera_ref import counterflow_flame, free_flame

    mix = mixture(case)
    try:
        mix.solution()
    except SpecError as exc:
        raise SpecError(exc.message, file=exc.file or str(case.path), key=exc.key) from None
    fl = case.flame
    t0 = time.perf_counter()
    if case.kind == "detailed":
        prof = free_flame(mix, width=float(fl.get("width", 2.5e-3)))
        metrics = {"s_L": prof.s_L, "T_fixed": prof.T_fixed, "x_fixed": prof.x_fixed}
    else:
        prof = counterflow_flame(mix, width=float(fl.get("width", 0.02)),
                                 mdot_unburned=float(fl.get("mdot_unburned", 1.0)),
                                 mdot_burned=float(fl.get("mdot_burned", 1.0)),
                                 burned=str(fl.get("burned", "N2:1")))
        metrics = {"Lambda": prof.Lambda}
    metrics.update(T_max=float(prof.T.max()), n_points=len(prof.x),
                   wall_s=time.perf_counter() - t0)
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        prof.save(Path(out) / "solution.npz")
        atomic_json(Path(out) / "metrics.json", metrics)
    return metrics
