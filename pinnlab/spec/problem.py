"""The typed problem description every method compiles: :class:`Problem` and its parts.

A problem is built either from a TOML file (:func:`pinnlab.load`) or directly in Python; both
produce the same objects and run the same validation, so a mistake is reported identically,
naming the file (``<python>`` when built in code) and the key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..errors import DataError, SpecError
from ..expr import Expression, Namespace, compile_expression
from .decomposition import Decomposition, parse_interface_conditions

CONDITION_KINDS = ("initial", "dirichlet", "neumann", "robin", "periodic")


@dataclass
class Parameter:
    """A scalar parameter of the equations.

    Known: ``Parameter(value=0.01)``. Unknown (inferred): ``Parameter(guess=0.05, bounds=(1e-4,
    1.0))``; the estimate is kept inside ``bounds`` (by a smooth reparametrisation) and starts
    at ``guess``. ``log=True`` (default for positive bounds) trains ``log(value)``.
    """

    value: float | None = None
    guess: float | None = None
    bounds: tuple[float, float] | None = None
    log: bool | None = None

    @property
    def unknown(self) -> bool:
        return self.value is None


@dataclass
class Condition:
    """An initial or boundary condition on one field.

    Attributes:
        kind: ``initial`` | ``dirichlet`` | ``neumann`` | ``robin`` | ``periodic``.
        field: the field it constrains (all fields for ``periodic`` when empty).
        on: where: ``"x = -1"``, ``"x = max"``, ``"x"`` (both ends of x); for ``periodic`` the
            coordinate name; for ``initial`` ignored (the start of the time coordinate).
        value: right-hand side as an expression of the coordinates and parameters.
            Dirichlet: ``u = value``; Neumann: ``du/dn = value`` (outward normal);
            Robin: ``alpha*u + beta*du/dn = value``.
        alpha, beta: Robin coefficients.
        derivative: for ``initial`` of second-order-in-time problems: the order of the time
            derivative fixed (0: u, 1: u_t).
    """

    kind: str
    field: str = ""
    on: str = ""
    value: str | float = 0.0
    alpha: float = 1.0
    beta: float = 1.0
    derivative: int = 0


@dataclass
class Reference:
    """The reference solution: a built-in solver by name (see :mod:`pinnlab.reference`) with
    keyword ``options``, or a ``.npz`` file holding one 1-D array per coordinate and one array
    per field on that grid (``indexing='ij'`` in the domain's coordinate order). ``grid`` gives
    the evaluation grid size per coordinate (e.g. ``{"x": 256, "t": 100}``)."""

    solver: str | None = None
    file: str | None = None
    grid: dict[str, int] = field(default_factory=dict)
    options: dict[str, object] = field(default_factory=dict)


@dataclass
class Observations:
    """Point measurements of fields: coordinates and values by name (1-D arrays of equal
    length). ``noise`` is the relative noise level the data carries (for reporting)."""

    coords: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    noise: float = 0.0
    file: str | None = None

    def __len__(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0


@dataclass
class Problem:
    """A PDE problem: domain, fields, parameters, equations, conditions, data, reference.

    Args:
        name: short name (used for output folders).
        domain: ``{coordinate: (low, high)}`` in order; the time coordinate is ``time``.
        fields: the unknown functions, e.g. ``["u"]`` or ``["T", "Y_CH4"]``.
        equations: ``{name: text}``; each text is a residual that must vanish.
        parameters: ``{name: Parameter}``; floats are accepted as known values.
        conditions: ``{name: Condition}``.
        time: the name of the time coordinate, or ``None`` for steady problems.
        reference, observations: optional.
        training: default options for the methods (overridable in ``solve``).
        decomposition: subdomains and interface conditions for multi-domain methods.
        family: ``{parameter: (low, high)}``, the range of a parametric family of problems
            (bandit contexts, sweeps); each must be a known parameter.
        source: the file this came from (``<python>`` otherwise), for messages.
    """

    name: str
    domain: dict[str, tuple[float, float]]
    fields: list[str]
    equations: dict[str, str]
    parameters: dict[str, Parameter] = field(default_factory=dict)
    conditions: dict[str, Condition] = field(default_factory=dict)
    time: str | None = None
    reference: Reference | None = None
    observations: Observations | None = None
    training: dict[str, object] = field(default_factory=dict)
    decomposition: Decomposition | None = None
    family: dict[str, tuple[float, float]] = field(default_factory=dict)
    source: str = "<python>"
    directory: str = "."

    def __post_init__(self):
        self.domain = {k: (float(v[0]), float(v[1])) for k, v in self.domain.items()}
        self.parameters = {
            k: v if isinstance(v, Parameter) else Parameter(value=float(v))
            for k, v in self.parameters.items()
        }
        if self.time is None and "t" in self.domain and len(self.domain) > 1:
            self.time = "t"
        self.validate()

    # ---- derived views ---------------------------------------------------------------
    @property
    def coords(self) -> list[str]:
        return list(self.domain)

    @property
    def space(self) -> list[str]:
        return [c for c in self.domain if c != self.time]

    @property
    def unknowns(self) -> list[str]:
        return [k for k, p in self.parameters.items() if p.unknown]

    def namespace(self, *, with_fields: bool = True) -> Namespace:
        return Namespace(self.coords, self.fields if with_fields else [], list(self.parameters))

    def expression(self, text, key: str, *, with_fields: bool = True) -> Expression:
        return compile_expression(text, self.namespace(with_fields=with_fields),
                                  file=self.source, key=key)

    def compiled_equations(self) -> dict[str, Expression]:
        return {k: self.expression(v, f"equations.{k}") for k, v in self.equations.items()}

    def boundary(self, cond: Condition, key: str) -> list[tuple[str, float, int]]:
        """Resolve ``cond.on`` into ``[(coordinate, value, outward sign)]``."""
        text = cond.on.replace(" ", "")
        if text in ("", "boundary"):
            return [(c, self.domain[c][s > 0], s) for c in self.space for s in (-1, 1)]
        m = re.fullmatch(r"([A-Za-z_]\w*)(?:=(.+))?", text)
        if not m or m.group(1) not in self.domain:
            raise SpecError(f"'on' must look like 'x = -1', 'x = max' or 'x'; got {cond.on!r}",
                            file=self.source, key=f"{key}.on")
        c, where = m.group(1), m.group(2)
        lo, hi = self.domain[c]
        if where is None:
            return [(c, lo, -1), (c, hi, 1)]
        if where in ("min", "low"):
            return [(c, lo, -1)]
        if where in ("max", "high"):
            return [(c, hi, 1)]
        try:
            v = float(self.expression(where, f"{key}.on", with_fields=False).evaluate({}))
        except (SpecError, KeyError, TypeError):
            raise SpecError(f"boundary location {where!r} is not a number",
                            file=self.source, key=f"{key}.on") from None
        for end, sign in ((lo, -1), (hi, 1)):
            if math.isclose(v, end, rel_tol=1e-9, abs_tol=1e-12):
                return [(c, end, sign)]
        raise SpecError(f"{c} = {v:g} is not an end of the domain [{lo:g}, {hi:g}]",
                        file=self.source, key=f"{key}.on")

    # ---- validation ------------------------------------------------------------------
    def validate(self) -> None:
        src = self.source
        if not self.domain:
            raise SpecError("no coordinates: give at least one range", file=src, key="domain")
        for c, (lo, hi) in self.domain.items():
            if not re.fullmatch(r"[A-Za-z]\w*", c):
                raise SpecError(f"bad coordinate name {c!r}", file=src, key=f"domain.{c}")
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise SpecError(f"range must be finite with low < high, got [{lo}, {hi}]",
                                file=src, key=f"domain.{c}")
        if self.time is not None and self.time not in self.domain:
            raise SpecError(f"time coordinate {self.time!r} is not in the domain",
                            file=src, key="domain.time")
        if not self.fields:
            raise SpecError("no fields: name at least one unknown function", file=src,
                            key="fields")
        clash = set(self.fields) & (set(self.domain) | set(self.parameters))
        if clash:
            raise SpecError(f"name used twice: {sorted(clash)}", file=src, key="fields")
        for k, p in self.parameters.items():
            self._validate_parameter(k, p)
        if not self.equations:
            raise SpecError("no equations", file=src, key="equations")
        self.compiled_equations()
        for k, c in self.conditions.items():
            self._validate_condition(k, c)
        if self.observations is not None:
            self._validate_observations(self.observations)
        if self.decomposition is not None:
            self._validate_decomposition(self.decomposition)
        for k, rng in self.family.items():
            p = self.parameters.get(k)
            if p is None or p.unknown:
                raise SpecError(f"family parameter {k!r} is not a known parameter of the "
                                "problem", file=src, key=f"family.{k}")
            lo, hi = map(float, rng)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise SpecError(f"range must be finite with low < high, got {list(rng)}",
                                file=src, key=f"family.{k}")
        if self.reference is not None and self.reference.solver is not None:
            from ..reference import SOLVERS

            if self.reference.solver not in SOLVERS:
                raise SpecError(f"unknown reference solver {self.reference.solver!r} (known: "
                                f"{', '.join(sorted(SOLVERS))})", file=self.source,
                                key="reference.solver")

    def _validate_decomposition(self, d: Decomposition) -> None:
        d.geometry(self.domain, source=self.source)
        parse_interface_conditions(d.interface_conditions, source=self.source)
        for c, text in d.flux.items():
            if c not in self.domain:
                raise SpecError(f"flux for unknown coordinate {c!r}", file=self.source,
                                key=f"decomposition.flux.{c}")
            self.expression(text, f"decomposition.flux.{c}")

    def _validate_parameter(self, k: str, p: Parameter) -> None:
        key = f"parameters.{k}"
        if p.unknown:
            if p.guess is None:
                raise SpecError("unknown parameter needs a 'guess' (and optionally 'bounds')",
                                file=self.source, key=key)
            if p.bounds is not None:
                lo, hi = p.bounds
                if not lo < p.guess < hi:
                    raise SpecError(f"guess {p.guess} must lie strictly inside bounds "
                                    f"[{lo}, {hi}]", file=self.source, key=key)
        elif not math.isfinite(p.value):
            raise SpecError(f"value {p.value} is not finite", file=self.source, key=key)

    def _validate_condition(self, k: str, c: Condition) -> None:
        key = f"conditions.{k}"
        if c.kind not in CONDITION_KINDS:
            raise SpecError(f"unknown kind {c.kind!r} (one of {', '.join(CONDITION_KINDS)})",
                            file=self.source, key=f"{key}.kind")
        if c.kind == "periodic":
            if c.on not in self.space:
                raise SpecError(f"periodic needs 'on' = a space coordinate, got {c.on!r}",
                                file=self.source, key=f"{key}.on")
            return
        if c.field not in self.fields:
            raise SpecError(f"unknown field {c.field!r} (fields: {', '.join(self.fields)})",
                            file=self.source, key=f"{key}.field")
        if c.kind == "initial":
            if self.time is None:
                raise SpecError("initial condition in a problem without time",
                                file=self.source, key=key)
        else:
            self.boundary(c, key)
        self.expression(c.value, f"{key}.value", with_fields=False)

    def _validate_observations(self, obs: Observations) -> None:
        src = obs.file or self.source
        for c in self.coords:
            if c not in obs.coords:
                raise DataError(f"observations lack coordinate column {c!r}", file=src,
                                key="observations")
        for name in obs.values:
            if name not in self.fields:
                raise DataError(f"column {name!r} is neither a coordinate nor a field "
                                f"(fields: {', '.join(self.fields)})", file=src,
                                key=f"observations:{name}")
        for name, arr in {**obs.coords, **obs.values}.items():
            if not np.all(np.isfinite(arr)):
                bad = int(np.flatnonzero(~np.isfinite(arr))[0])
                raise DataError(f"non-finite value in column {name!r} (row {bad + 1})",
                                file=src, key=f"observations:{name}")
        for c, arr in obs.coords.items():
            if c not in self.domain:
                continue
            lo, hi = self.domain[c]
            tol = 1e-9 * (hi - lo)
            out = np.flatnonzero((arr < lo - tol) | (arr > hi + tol))
            if out.size:
                raise DataError(f"{c} = {arr[out[0]]:g} (row {out[0] + 1}) lies outside the "
                                f"domain [{lo:g}, {hi:g}]", file=src, key=f"observations:{c}")

    def with_parameters(self, overrides: Mapping[str, float]) -> Problem:
        """A copy with parameters set to known values (``--set beta=50``)."""
        import copy

        new = copy.deepcopy(self)
        for k, v in overrides.items():
            if k not in new.parameters:
                raise SpecError(f"--set {k}: no such parameter (parameters: "
                                f"{', '.join(new.parameters) or 'none'})", file=self.source,
                                key=f"parameters.{k}")
            new.parameters[k] = Parameter(value=float(v))
        new.validate()
        return new
