"""Run a flame case file: its reference solution, or its PINN solve, with metrics and outputs.

``reference(case)`` and ``solve(case)`` return a dict of metrics (JSON-able); with ``out`` they
also write ``metrics.json`` and ``solution.npz`` (x and the fields, PINN and reference) there.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..errors import DataError, SpecError
from ..io import atomic_json, atomic_npz
from .simple import ATM, SimpleFlame
from .spec import FlameCase

_SIMPLE_KEYS = {"phi": "phi", "T_in": "T_in", "length": "length", "grad_T0": "grad_T0",
                "conductivity": "conductivity", "activation_energy": "activation_energy",
                "cp": "cp", "heat_of_reaction": "heat_of_reaction",
                "pre_exponential": "pre_exponential", "reaction_order": "reaction_order",
                "molar_mass": "molar_mass"}


def simple_flame(case: FlameCase) -> SimpleFlame:
    """The :class:`SimpleFlame` of a ``kind = "simple"`` case, its temperature bounds checked."""
    kwargs = {}
    for key, value in case.flame.items():
        if key == "pressure_atm":
            kwargs["pressure"] = value * ATM
        elif key in _SIMPLE_KEYS:
            kwargs[_SIMPLE_KEYS[key]] = float(value)
        else:
            raise SpecError(f"unknown key; expected pressure_atm or one of {sorted(_SIMPLE_KEYS)}",
                            file=str(case.path), key=f"flame.{key}")
    from .case1 import check_bounds

    try:
        flame = SimpleFlame(**kwargs)
    except SpecError as exc:
        raise SpecError(exc.message, file=str(case.path), key=f"flame.{exc.key}") from None
    try:
        check_bounds(flame, case.temperature_bounds, case.unknowns.get("s_L", 0.4))
    except SpecError as exc:
        raise SpecError(exc.message, file=str(case.path), key=exc.key) from None
    return flame


def read_observations_csv(case: FlameCase, name: str):
    """Observations x, T, u from a CSV in the case's folder, with a header naming the columns
    (any order)."""
    from ..io import data_file
    from ..spec.toml import read_observations
    from .case1 import Observations

    path = data_file(name, base=str(case.path.parent), file=str(case.path),
                     key="observations.csv")
    obs = read_observations(path, ["x"], label=name)
    cols = {**obs.coords, **obs.values}
    missing = [c for c in ("x", "T", "u") if c not in cols]
    if missing:
        raise DataError(f"missing column(s) {missing}", file=name, key="observations.csv")
    return Observations(cols["x"], cols["T"], cols["u"])


def _budget(case: FlameCase, quick: bool):
    from .case1 import Budget

    kwargs = {k: (int(v) if k not in ("lr", "decay") else v) for k, v in case.training.items()}
    budget = Budget(**kwargs)
    if quick:
        budget = Budget(warmup=100, adam=200, lbfgs=50, n_collocation=101, seed=budget.seed)
    return budget


def reference(case: FlameCase, out: Path | None = None) -> dict:
    """Reference solution of ``case`` (shooting for Case 1)."""
    if case.kind != "simple":
        return _cantera_reference(case, out)
    from .shooting import shoot_flame_speed

    flame = simple_flame(case)
    t0 = time.perf_counter()
    sol = shoot_flame_speed(flame)
    metrics = {"s_L": sol.s_L, "T_max": flame.T_max, "wall_s": time.perf_counter() - t0}
    _write(out, metrics, x=sol.x, T=sol.T, u=sol.u, rho=sol.rho, Y_F=sol.Y_F)
    return metrics


def solve(case: FlameCase, out: Path | None = None, device: str = "cpu",
          quick: bool = False) -> dict:
    """PINN solve of ``case``; metrics compare against the reference solution."""
    if case.kind != "simple":
        raise SpecError(f"PINN solves of kind {case.kind!r} are run by their benchmark scripts",
                        file=str(case.path), key="case.kind")
    from .case1 import noisy_observations, solve_forward, solve_inverse
    from .shooting import shoot_flame_speed

    known = ("s_L",) if case.mode == "forward" else ("s_L", "conductivity",
                                                      "activation_energy")
    for name in case.unknowns:
        if name not in known:
            raise SpecError(f"a {case.mode} Case 1 solve infers {', '.join(known)} only",
                            file=str(case.path), key=f"unknowns.{name}")
    flame = simple_flame(case)
    budget = _budget(case, quick)
    ref = shoot_flame_speed(flame)
    guesses = case.unknowns
    t0 = time.perf_counter()
    if case.mode == "forward":
        result = solve_forward(flame, budget, s_L_guess=guesses.get("s_L", 0.4),
                               bounds=case.temperature_bounds, device=device)
    else:
        spec = case.observations
        if "csv" in spec:
            obs = read_observations_csv(case, spec["csv"])
        else:
            obs = noisy_observations(ref.x, ref.T, ref.u, int(spec.get("n", 10)),
                                     float(spec.get("noise", 0.0)), int(spec.get("seed", 0)))
        result = solve_inverse(flame, obs, budget, s_L_guess=guesses.get("s_L", 0.4),
                               conductivity_guess=guesses.get("conductivity", 0.03),
                               activation_energy_guess=guesses.get("activation_energy", 1.5e5),
                               bounds=case.temperature_bounds, device=device)
    T = result.temperature(ref.x)
    metrics = {"s_L": result.s_L, "s_L_reference": ref.s_L,
               "s_L_rel_error": result.s_L / ref.s_L - 1.0,
               "T_rel_l2": float(np.linalg.norm(T - ref.T) / np.linalg.norm(ref.T)),
               "wall_s": time.perf_counter() - t0,
               "stages": [{"name": s.name, "iterations": s.iterations, "best_loss": s.best_loss,
                           "wall_s": s.wall_time, "stop_reason": s.stop_reason}
                          for s in result.stages]}
    if case.mode == "inverse":
        metrics.update(conductivity=result.conductivity,
                       conductivity_rel_error=result.conductivity / flame.conductivity - 1.0,
                       activation_energy=result.activation_energy,
                       activation_energy_rel_error=(result.activation_energy
                                                    / flame.activation_energy - 1.0))
    _write(out, metrics, x=ref.x, T=T, T_reference=ref.T, u=result.velocity(ref.x),
           u_reference=ref.u)
    return metrics


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


def _write(out: Path | None, metrics: dict, **arrays: np.ndarray) -> None:
    if out is None:
        return
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_json(out / "metrics.json", metrics)
    atomic_npz(out / "solution.npz", **arrays)
