"""The Cantera mechanism plug-in: thermo, transport and kinetics of a mechanism in spec text.

``[plugins.<name>] kind = "cantera"`` reads a mechanism (``mechanism``: a YAML file in the
spec's folder, or a name from Cantera's own data such as ``h2o2.yaml``) and adds to the spec,
for the temperature field ``T`` and one mass-fraction field ``Y_<species>`` per species of the
mechanism (a ``[fields.Y] species = [...]`` simplex; SI units with kmol, as Cantera):

* functions ``<name>_rho(T, Y_1, …, Y_K)`` and the like, pointwise on values and on jets;
* definitions (what the equations use): ``rho`` [kg/m³], ``Wbar`` [kg/kmol], ``cp``
  [J/(kg K)], ``lam`` [W/(m K)] (mixture-averaged), ``mu`` [Pa s] (Wilke), ``q = −Σ_k h_k
  wdot_k`` [W/m³], and per species ``X_k``, ``cp_k``, ``D_k`` [m²/s] (mixture-averaged, for
  mole-fraction gradients), ``wdot_k`` [kmol/(m³ s)]; in 1-D also the corrected diffusive mass
  fluxes ``j_k = jd_k − Y_k Σ_j jd_j``, ``jd_k = −ρ (W_k/W̄) D_k ∂X_k/∂x`` [kg/(m² s)], and
  ``jcp = Σ_k j_k cp_k`` (a value), computed for all species at once from the fields'
  derivatives (an expression may differentiate ``j_k`` once less often than the fields:
  ``(j_k)_x`` needs the fields' second derivatives, which the PINN provides);
* parameters: molar masses ``W_k``, and with an ``inlet`` (``T``, pressure, and ``phi`` with
  ``fuel``/``oxidizer`` or a ``composition``) the inlet state ``T_in``, ``rho_in``, ``cp_in``,
  ``Y_in_k`` and its adiabatic equilibrium ``T_eq``, ``Y_eq_k`` (constant enthalpy and
  pressure).

The kinetics (``wdot_k``, ``q``) act on values only: an expression may not differentiate them.
With ``activation_energy = "E_a"`` (a parameter of the spec, known or unknown) they take that
parameter as the first reaction's activation energy [J/kmol] and scale every other reaction's
by the same factor ``E_a / E_a,1`` (``E_a,1``: the mechanism's; with one step, exactly its E_a),
so an inverse problem can infer it.
"""

from __future__ import annotations

import os
from functools import partial
from typing import Annotated, Literal

import numpy as np
import torch
from pydantic import Field

from ..errors import SpecError
from ..expr.syntax import PluginFunction
from ..jet import Jet
from ..spec.plugins import Context, Contribution
from ..spec.schema import Number, Table

PROPERTIES = ("rho", "Wbar", "cp", "lam", "mu", "X", "cp_k", "D", "wdot", "q", "j", "jcp")
PER_SPECIES = {"X": "X", "cp_k": "cp", "D": "D", "wdot": "wdot", "j": "j"}
FLUXES = ("j", "jcp")  # of the fields' gradients: their jets hold one order fewer


class Inlet(Table):
    """The unburnt state: temperature, and φ with fuel and oxidizer, or a composition."""

    T: Annotated[Number, Field(gt=0, le=5000)] = 300.0
    phi: Annotated[Number, Field(gt=0, le=100)] | None = None
    fuel: str = "CH4:1"
    oxidizer: str = "O2:1, N2:3.76"
    composition: str | None = None


class MechanismOptions(Table):
    """Options of ``kind = "cantera"`` (module docstring)."""

    kind: Literal["cantera"]
    mechanism: str
    pressure: Annotated[Number, Field(gt=0, le=1e8)] = 101325.0
    temperature: str = "T"
    mass_fractions: str = "Y"
    inlet: Inlet | None = None
    activation_energy: str | None = None


class Mechanism:
    """The torch gas of a mechanism. A pass of the loss asks for many properties of the same
    state; the expression evaluator gives their calls one ``state`` dict, so they share one
    evaluation."""

    def __init__(self, solution, pressure: float, mixture=None):
        from .gas import TorchGas
        from .kinetics import TorchKinetics

        self.gas = TorchGas(solution)
        self.kinetics = TorchKinetics(self.gas)
        self.pressure = pressure
        self.mixture = mixture  # inlet (a cantera_ref.Mixture), for references
        self.species = list(self.gas.species_names)
        self.temperature, self.mass_fractions = "T", "Y"  # the fields' names
        self.activation_energy = float(solution.reactions()[0].rate.activation_energy) \
            if solution.n_reactions else 1.0  # E_a of the first reaction [J/kmol]

    def __call__(self, what: str, k: int | None, *args, state: dict | None = None):
        """Property ``what`` (column ``k`` of a per-species one) at T = args[0], Y = args[1:K+1]
        (and, for the kinetics, the first reaction's activation energy args[K+1]); ``state``
        holds what earlier calls of the same pass and inputs computed (the evaluator's)."""
        values = {} if state is None else state
        if what not in values:
            n = 1 + len(self.species)
            values[what] = self._compute(what, *_stacked(args[:n]), values, *args[n:])
        cols = values.get((what, "columns"))
        if cols is None:  # split once: one backward node per property, not one per column
            out = values[what]
            if isinstance(out, Jet):
                parts = [p.unbind(-1) for p in out.parts]
                cols = [Jet(list(c), out.basis) for c in zip(*parts, strict=True)]
            else:
                cols = list(out.unbind(-1))
            values[(what, "columns")] = cols
        return cols[0 if k is None else k]

    def fingerprint(self) -> str:
        """A hash of the mechanism's data and pressure (checkpoints carry it)."""
        import hashlib

        h = hashlib.sha256(repr(self.pressure).encode())
        for key in sorted(self.gas.data):
            h.update(key.encode())
            h.update(repr(np.asarray(self.gas.data[key]).tolist()).encode())
        return h.hexdigest()

    def _compute(self, what: str, T, Y, values: dict, E_a=None):
        gas, p = self.gas, self.pressure
        if what in ("wdot", "q"):
            if isinstance(T, Jet):
                raise SpecError("the reaction rates (wdot_k, q) cannot be differentiated in an "
                                "expression", key="plugins")
            if "wdot" not in values:
                factor = 1.0 if E_a is None else E_a / self.activation_energy
                values["wdot"] = self.kinetics.net_production_rates(T, Y, p, factor)
            if what == "wdot":
                return values["wdot"]
            return -(values["wdot"] * gas.enthalpies_molar(T)).sum(-1, keepdim=True)
        if what in FLUXES:
            if not isinstance(T, Jet):
                raise SpecError("the diffusive fluxes need the fields' derivatives",
                                key="plugins")
            if "j" not in values:
                values["j"] = gas.diffusive_fluxes(T, Y, p)
            if what == "j":
                return values["j"]
            # Σ j_k cp_k: a value (what the energy equation uses), not differentiated
            return (values["j"].value * gas.cp_species_mass(T.value)).sum(-1, keepdim=True)
        return {"rho": lambda: gas.density(T, Y, p), "Wbar": lambda: gas.mean_molar_mass(Y),
                "cp": lambda: gas.cp_mass(T, Y), "lam": lambda: gas.thermal_conductivity(T, Y),
                "mu": lambda: gas.viscosity(T, Y),
                "X": lambda: gas.mole_fractions(Y), "cp_k": lambda: gas.cp_species_mass(T),
                "D": lambda: gas.mix_diff_coeffs(T, Y, p)}[what]()


def _stacked(args):
    """T (N, 1) and Y (N, K) from per-field values (N,) or jets of them."""
    T, Ys = args[0], args[1:]
    if isinstance(T, Jet):
        n = len(T.parts)
        Yj = Jet([torch.stack([y.parts[i] for y in Ys], -1) for i in range(n)], T.basis)
        return T.map(lambda q: q.unsqueeze(-1)), Yj
    return T.unsqueeze(-1), torch.stack(list(Ys), -1)


def _solution(options: MechanismOptions, ctx: Context):
    from ..io import data_file
    from .gas import load_solution

    name = options.mechanism
    local = os.path.join(ctx.directory, name)
    if os.path.lexists(local) or os.sep in name or "/" in name:
        path = data_file(name, base=ctx.directory, allowed=ctx.data_dirs, file=ctx.source,
                         key="mechanism")
        return load_solution(path), path
    return load_solution(name), name  # a mechanism of Cantera's own data


def build(name: str, table: dict, ctx: Context) -> Contribution:
    """The contribution of one ``[plugins.<name>]`` table of kind ``cantera``."""
    from ..spec.schema import validate

    key = f"plugins.{name}"
    try:
        o = validate(table, source=ctx.source, model=MechanismOptions)
        solution, path = _solution(o, ctx)
    except SpecError as exc:
        raise SpecError(exc.message, file=ctx.source,
                        key=f"{key}.{exc.key}" if exc.key else key) from None
    species = list(solution.species_names)
    bad = [s for s in species if not s.isidentifier()]
    if bad:
        raise SpecError(f"species {bad} are not plain names, which the fields need",
                        file=ctx.source, key=f"{key}.mechanism")
    fields = [o.temperature] + [f"{o.mass_fractions}_{s}" for s in species]
    missing = [f for f in fields if f not in ctx.fields]
    if missing:
        raise SpecError(f"the mechanism needs the fields {missing} (temperature and one mass "
                        f"fraction per species, e.g. [fields.{o.mass_fractions}] species = "
                        f"{species})", file=ctx.source, key=f"{key}.mechanism")
    if o.activation_energy is not None and o.activation_energy not in ctx.parameters:
        raise SpecError(f"{o.activation_energy!r} is not a parameter of the spec",
                        file=ctx.source, key=f"{key}.activation_energy")
    mixture = None
    if o.inlet is not None:
        from .cantera_ref import Mixture

        i = o.inlet
        mixture = Mixture(path, i.T, o.pressure, i.phi, i.fuel, i.oxidizer, i.composition)
    mech = Mechanism(solution, o.pressure, mixture)
    mech.temperature, mech.mass_fractions = o.temperature, o.mass_fractions
    try:
        out = _contribution(name, mech, species, fields, o, ctx)
    except SpecError as exc:  # an inlet Cantera cannot make
        raise SpecError(exc.message, file=ctx.source, key=f"{key}.inlet") from None
    out.objects[name] = mech
    return out


def _contribution(name, mech: Mechanism, species, fields, o, ctx) -> Contribution:
    out = Contribution()
    args = ", ".join(fields)
    K = len(species)
    for what in PROPERTIES:
        cols = [(s, k) for k, s in enumerate(species)] if what in PER_SPECIES else [(None, None)]
        for s, k in cols:
            label = what if s is None else f"{PER_SPECIES[what]}_{s}"
            fn = f"{name}_{label}"
            if what in FLUXES and len(ctx.coords) != 1:
                continue
            kinetic = what in ("wdot", "q") and o.activation_energy is not None
            out.functions[fn] = PluginFunction(fn, partial(mech, what, k), arity=K + 1 + kinetic,
                                               doc=f"{label} of mechanism {o.mechanism}",
                                               jets=what not in ("wdot", "q"),
                                               order_loss=1 if what in FLUXES else 0,
                                               shares=name, compiles=False)
            extra = f", {o.activation_energy}" if kinetic else ""
            out.definitions[label] = f"{fn}({args}{extra})"
    for k, s in enumerate(species):
        out.parameters[f"W_{s}"] = float(mech.gas.molar_masses[k])
    if mech.mixture is not None:
        out.parameters.update(_inlet_state(mech, species))
    return out


def _inlet_state(mech: Mechanism, species) -> dict[str, float]:
    gas = mech.mixture.solution()
    state = {"T_in": float(gas.T), "rho_in": float(gas.density), "cp_in": float(gas.cp_mass)}
    state.update({f"Y_in_{s}": float(y) for s, y in zip(species, gas.Y, strict=True)})
    gas.equilibrate("HP")
    state["T_eq"] = float(gas.T)
    state.update({f"Y_eq_{s}": float(y) for s, y in zip(species, gas.Y, strict=True)})
    return state
