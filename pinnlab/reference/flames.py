"""Reference solvers of 1-D premixed flames, registered in :data:`pinnlab.reference.SOLVERS`.

``flame_shooting``: the simplified-physics flame (FlamePINN-1D Case 1) by shooting on the flame
speed (:func:`pinnlab.flames.shooting.shoot_flame_speed`). It reads the spec's parameters by
name (SI units)::

    phi   equivalence ratio            p      pressure [Pa]           T_in  inlet temperature [K]
    W     molar mass [kg/mol]          lam    conductivity [W/(m K)]  cp    [J/(kg K)]
    q_F   heat of reaction [J/kg]      A      pre-exponential factor  E_a   [J/mol]
    nu    reaction order               grad_T0  inlet dT/dx [K/m]

and the domain ``x = [0, L]``; unknown parameters take their true values from the
``[reference]`` table as usual. It returns ``T`` on the grid and the flame speed ``s_L`` as a
parameter truth (the estimate is scored against it).
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from ..errors import SpecError
from . import Options, _param

SIMPLE_FLAME = {"phi": "phi", "p": "pressure", "T_in": "T_in", "W": "molar_mass",
                "lam": "conductivity", "cp": "cp", "q_F": "heat_of_reaction",
                "A": "pre_exponential", "E_a": "activation_energy", "nu": "reaction_order",
                "grad_T0": "grad_T0"}


class ShootingOptions(Options):
    field: str = "T"
    speed: str = "s_L"
    nodes: Annotated[int, Field(ge=100, le=200_000)] = 10_000


def simple_flame(problem):
    """The :class:`~pinnlab.flames.simple.SimpleFlame` of a spec (parameters by name)."""
    from ..flames.simple import SimpleFlame

    missing = [k for k in SIMPLE_FLAME if k not in problem.parameters]
    if missing:
        raise SpecError(f"flame_shooting needs parameters {missing}", file=problem.source,
                        key="parameters")
    (x0, x1), = problem.domain.values()
    if x0 != 0.0:
        raise SpecError("flame_shooting needs the inlet at x = 0", file=problem.source,
                        key="domain")
    kw = {attr: _param(problem, name) for name, attr in SIMPLE_FLAME.items()}
    try:
        return SimpleFlame(length=x1, **kw)
    except SpecError as exc:
        raise SpecError(exc.message, file=problem.source, key=f"parameters.{exc.key}") from None


def flame_shooting(problem, mesh, o: ShootingOptions):
    """``T`` on ``mesh`` and ``{speed: s_L}`` of the shooting solution."""
    from ..flames.shooting import shoot_flame_speed

    if len(problem.domain) != 1:
        raise SpecError("flame_shooting solves 1-D flames", file=problem.source, key="domain")
    sol = shoot_flame_speed(simple_flame(problem), n_points=o.nodes)
    x = next(iter(mesh.values()))
    return {o.field: np.interp(x, sol.x, sol.T)}, {o.speed: sol.s_L}


class FreeFlameOptions(Options):
    field: str = "T"
    plugin: str = Field("", description="the mechanism plug-in with the inlet (default: the "
                                        "only one)")
    speed: str = "s_L"


def cantera_free_flame(problem, mesh, o: FreeFlameOptions):
    """``T`` and every ``Y_k`` on ``mesh`` and ``{speed: s_L}`` of Cantera's FreeFlame on the
    domain ``x = [0, L]``, with the mechanism, pressure and inlet of a ``cantera`` plug-in."""
    from ..flames.cantera_ref import free_flame

    mech, length = _mechanism(problem, o.plugin, "cantera_free_flame")
    prof = free_flame(mech.mixture, width=length)
    out = _profiles(prof, mech, mesh)
    return out, {o.speed: prof.s_L}


class CounterflowOptions(Options):
    field: str = "T"
    plugin: str = Field("", description="the mechanism plug-in with the inlet (default: the "
                                        "only one)")
    velocity: str = "u"
    spread_rate: str = "V"
    curvature: str = "Lambda"
    mdot_unburned: Annotated[float, Field(gt=0, le=1e3)] = 1.0
    mdot_burned: Annotated[float, Field(gt=0, le=1e3)] = 1.0
    burned: str = "N2:1"
    T_burned: Annotated[float, Field(gt=0, le=5000)] = 300.0
    nodes: Annotated[int, Field(ge=50, le=20_000)] = 501


def _mechanism(problem, plugin: str, solver: str):
    """The one ``cantera`` plug-in with an inlet (or the one named) of a 1-D spec on [0, L]."""
    from ..flames.mechanism import Mechanism

    mechs = {k: v for k, v in problem.plugins.items()
             if isinstance(v, Mechanism) and v.mixture is not None}
    if plugin:
        mechs = {k: v for k, v in mechs.items() if k == plugin}
    if len(mechs) != 1 or len(problem.domain) != 1:
        raise SpecError(f"{solver} needs a 1-D domain and one cantera plug-in with an inlet "
                        "(name it with plugin = ...)", file=problem.source,
                        key="reference.plugin")
    (x0, x1), = problem.domain.values()
    if x0 != 0.0:
        raise SpecError(f"{solver} needs the inlet at x = 0", file=problem.source,
                        key="domain")
    return next(iter(mechs.values())), x1


def _profiles(prof, mech, mesh) -> dict[str, np.ndarray]:
    x = next(iter(mesh.values()))
    out = {mech.temperature: np.interp(x, prof.x, prof.T)}
    for k, s in enumerate(prof.species):
        out[f"{mech.mass_fractions}_{s}"] = np.interp(x, prof.x, prof.Y[:, k])
    return out


def cantera_counterflow(problem, mesh, o: CounterflowOptions):
    """``u``, ``V`` (spread rate), ``T`` and every ``Y_k`` on ``mesh`` and the pressure curvature
    ``{curvature: Λ}`` of Cantera's CounterflowPremixedFlame: the plug-in's inlet at x = 0
    (``mdot_unburned`` kg/(m² s)) against a ``burned`` stream at ``T_burned`` from x = L, on a
    fixed uniform grid of ``nodes`` points (no refinement)."""
    from ..flames.cantera_ref import counterflow_flame

    mech, length = _mechanism(problem, o.plugin, "cantera_counterflow")
    prof = counterflow_flame(mech.mixture, width=length, mdot_unburned=o.mdot_unburned,
                             mdot_burned=o.mdot_burned, burned=o.burned, T_burned=o.T_burned,
                             n_points=o.nodes)
    out = _profiles(prof, mech, mesh)
    x = next(iter(mesh.values()))
    out[o.velocity] = np.interp(x, prof.x, prof.u)
    out[o.spread_rate] = np.interp(x, prof.x, prof.V)
    return out, {o.curvature: prof.Lambda}
