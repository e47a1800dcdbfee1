"""The typed problem description every method compiles: :class:`Problem` and its parts.

A problem is built either from a TOML file (:func:`pinnlab.load`) or directly in Python; both
produce the same objects and run the same validation, so a mistake is reported identically,
naming the file (``<python>`` when built in code) and the key.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ..errors import DataError, SpecError
from ..expr import Expression, Namespace, compile_expression
from ..expr.syntax import PluginFunction
from .decomposition import Decomposition, parse_interface_conditions
from .schema import CONDITION_KINDS, NAME_PATTERN

MAX_COMPONENTS = 512  # derivative components one jet may carry


@lru_cache(maxsize=64)
def _definitions(coords: tuple, fields: tuple, params: tuple, items: tuple, source: str,
                 functions: tuple = ()) -> dict[str, Expression]:
    out: dict[str, Expression] = {}
    for name, text in items:
        ns = Namespace(coords, fields, params, definitions=dict(out),
                       functions=dict(functions))
        out[name] = compile_expression(text, ns, file=source, key=f"definitions.{name}")
    return out


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
    lr_factor: float = 1.0

    @property
    def unknown(self) -> bool:
        return self.value is None


@dataclass
class Condition:
    """An initial or boundary condition on one field.

    Attributes:
        kind: ``initial`` | ``dirichlet`` | ``neumann`` | ``robin`` | ``periodic`` |
            ``equation`` (``value`` is a residual of fields, derivatives and definitions that
            must vanish ``on`` a boundary or an interior point; no ``field``).
        field: the field it constrains (all fields for ``periodic`` when empty).
        on: where: ``"x = -1"``, ``"x = max"``, ``"x"`` (both ends of x); for ``periodic`` the
            coordinate name; for ``initial`` ignored (the start of the time coordinate).
        value: right-hand side as an expression of the coordinates and parameters.
            Dirichlet: ``u = value``; Neumann: ``du/dn = value`` (outward normal);
            Robin: ``alpha*u + beta*du/dn = value``.
        alpha, beta: Robin coefficients.
        derivative: for ``initial`` of second-order-in-time problems: the order of the time
            derivative fixed (0: u, 1: u_t).
        scale: a constant expression multiplying the residual (to make it dimensionless, as
            the equations are): the loss is ``mean((scale * residual)^2)``.
    """

    kind: str
    field: str = ""
    on: str = ""
    value: str | float = 0.0
    alpha: float = 1.0
    beta: float = 1.0
    derivative: int = 0
    scale: str | float = 1.0


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
class Conservation:
    """A conservation law: ``density`` (an expression of the fields) integrated over space is
    ``mass`` (an expression of time and parameters; ``None``: the reference's integral). The
    remaining attributes set up the probabilistic conservation methods' evaluation: the time,
    the family parameter values tested, and the grid and data sizes."""

    density: str = "u"
    mass: str | float | None = None
    time: float | None = None
    test: list[float] | None = None
    n_test: int = 50
    n_grid: int = 201
    n_context: int = 100
    n_target: int = 100
    t_slots: int = 10


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
        definitions: ``{name: text}``, named sub-expressions in order (each may use fields,
            derivatives, parameters and earlier definitions), usable in every expression.
        bounds: ``{field: (low, high)}`` (constant expressions): the field is
            ``low + (high - low) sigmoid(N)``, inside its bounds by construction.
        simplex: ``{group: [fields]}``: the fields are a softmax of the network's outputs
            (positive, summing to one: mass fractions).
        functions: plug-in functions the expressions may call (:mod:`pinnlab.spec.plugins`).
        plugins: the plug-ins' objects by name (e.g. a mechanism, which a reference reads).
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
    description: str = ""
    definitions: dict[str, str] = field(default_factory=dict)
    bounds: dict[str, tuple] = field(default_factory=dict)
    simplex: dict[str, list[str]] = field(default_factory=dict)
    conservation: Conservation | None = None
    functions: dict[str, PluginFunction] = field(default_factory=dict)
    plugins: dict[str, object] = field(default_factory=dict)

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
        """The names expressions may use; without fields, only the definitions that use no
        field either."""
        defs = self.compiled_definitions()
        if not with_fields:
            defs = {k: e for k, e in defs.items() if not e.derivatives}
        return Namespace(self.coords, self.fields if with_fields else [], list(self.parameters),
                         definitions=defs, functions=self.functions)

    def compiled_definitions(self) -> dict[str, Expression]:
        """The definitions compiled in order (cached on their text)."""
        return _definitions(tuple(self.coords), tuple(self.fields), tuple(self.parameters),
                            tuple(self.definitions.items()), self.source,
                            tuple(sorted(self.functions.items())))

    def expression(self, text, key: str, *, with_fields: bool = True) -> Expression:
        return compile_expression(text, self.namespace(with_fields=with_fields),
                                  file=self.source, key=key)

    def constant(self, text, key: str) -> float:
        """A constant expression of the known parameters (and definitions of them)."""
        expr = self.expression(text, key, with_fields=False)
        from ..expr import Symbol

        env = {}
        for s in expr.symbols:
            p = self.parameters.get(s.name) if s.kind == "param" else None
            if p is None or p.unknown:
                raise SpecError(f"must be a constant of known parameters, but uses {s.name!r}",
                                file=self.source, key=key)
            env[Symbol("param", s.name)] = float(p.value)
        from ..expr.syntax import _finite

        return _finite(expr.evaluate(env), str(text), self.source, key)

    def compiled_equations(self) -> dict[str, Expression]:
        return {k: self.expression(v, f"equations.{k}") for k, v in self.equations.items()}

    def boundary(self, cond: Condition, key: str) -> list[tuple[str, float, int]]:
        """Resolve ``cond.on`` into ``[(coordinate, value, outward sign)]``; a Dirichlet or
        equation condition may also hold inside the domain (sign 0: e.g. the fixed-temperature
        point that pins a free flame)."""
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
        if lo < v < hi and cond.kind in ("dirichlet", "equation"):
            return [(c, v, 0)]  # inside: no outward normal
        what = "an end" if cond.kind in ("neumann", "robin") else "inside or an end"
        raise SpecError(f"{c} = {v:g} is not {what} of the domain [{lo:g}, {hi:g}]",
                        file=self.source, key=f"{key}.on")

    # ---- validation ------------------------------------------------------------------
    def validate(self) -> None:
        src = self.source
        if not isinstance(self.name, str) or not re.fullmatch(NAME_PATTERN, self.name):
            raise SpecError("a name is plain: letters, digits, '_', '.', '-' (at most 64, not "
                            "starting with '.' or '-'), no path", file=src, key="name")
        if not self.domain:
            raise SpecError("no coordinates: give at least one range", file=src, key="domain")
        for c, (lo, hi) in self.domain.items():
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise SpecError(f"range must be finite with low < high, got [{lo}, {hi}]",
                                file=src, key=f"domain.{c}")
        if self.time is not None and self.time not in self.domain:
            raise SpecError(f"time coordinate {self.time!r} is not in the domain",
                            file=src, key="time")
        if not self.fields:
            raise SpecError("no fields: name at least one unknown function", file=src,
                            key="fields")
        self._validate_names()
        for k, p in self.parameters.items():
            self._validate_parameter(k, p)
        self.compiled_definitions()
        self._validate_outputs()
        if not self.equations:
            raise SpecError("no equations", file=src, key="equations")
        used, indices = set(), set()
        for expr in self.compiled_equations().values():
            used |= {s.name for s in expr.derivatives}
            indices |= {s.index for s in expr.derivatives}
        from ..jet import closure

        if len(closure(len(self.domain), indices)) > MAX_COMPONENTS:
            raise SpecError(f"the equations need more than {MAX_COMPONENTS} distinct partial "
                            "derivatives (with their lower orders)", file=src, key="equations")
        for f in self.fields:
            if f not in used:
                raise SpecError(f"field {f!r} appears in no equation, so nothing determines it",
                                file=src, key="fields")
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
            from ..reference import check_reference

            check_reference(self)
        if self.conservation is not None:
            self._validate_conservation(self.conservation)

    def _validate_names(self) -> None:
        """Coordinates, fields and parameters: identifiers, each used once, none shadowing a
        constant or a function, none readable as a derivative of a field."""
        from ..expr import CONSTANTS, FUNCTIONS

        seen: dict[str, str] = {}
        groups = (("domain", list(self.domain)), ("fields", list(self.fields)),
                  ("parameters", list(self.parameters)),
                  ("definitions", list(self.definitions)))
        for table, names in groups:
            for n in names:
                key = f"{table}.{n}" if table != "fields" else "fields"
                if not isinstance(n, str) or not re.fullmatch(r"[A-Za-z]\w{0,63}", n):
                    raise SpecError(f"{str(n)[:40]!r} is not a plain name (a letter, then "
                                    "letters, digits, '_')", file=self.source, key=key)
                if n in CONSTANTS or n in FUNCTIONS or keyword.iskeyword(n):
                    raise SpecError(f"{n!r} is reserved (a constant, function or keyword)",
                                    file=self.source, key=key)
                if n in seen:
                    raise SpecError(f"name {n!r} used twice ({seen[n]} and {table})",
                                    file=self.source, key=key)
                seen[n] = table
        ns = Namespace(self.coords, self.fields, [])
        for table, names in groups[2:] + groups[:1]:
            for n in names:
                sym = ns.resolve(n)
                if sym is not None and getattr(sym, "kind", "") == "field" and sym.index:
                    raise SpecError(f"{n!r} reads as a derivative of field {sym.name!r}; "
                                    "rename it", file=self.source, key=f"{table}.{n}")

    def _validate_outputs(self) -> None:
        """Bounded and simplex fields: existing fields, constant bounds low < high, each field
        in one map at most."""
        seen: set[str] = set()
        for f, rng in self.bounds.items():
            key = f"fields.{f}.bounds"
            if f not in self.fields:
                raise SpecError(f"{f!r} is not a field", file=self.source, key=key)
            if not isinstance(rng, (list, tuple)) or len(rng) != 2:
                raise SpecError("bounds are [low, high]", file=self.source, key=key)
            lo, hi = (self.constant(v, key) for v in rng)
            if not lo < hi:
                raise SpecError(f"bounds need low < high, got [{lo:g}, {hi:g}]",
                                file=self.source, key=key)
            seen.add(f)
        for group, members in self.simplex.items():
            key = f"fields.{group}.species"
            if len(members) < 2:
                raise SpecError("a simplex has at least two members", file=self.source, key=key)
            for f in members:
                if f not in self.fields or f in seen:
                    raise SpecError(f"{f!r} is not a field, or already bounded",
                                    file=self.source, key=key)
                seen.add(f)

    def _validate_conservation(self, c: Conservation) -> None:
        self.expression(c.density, "conservation.density")
        if c.mass is not None:
            expr = self.expression(c.mass, "conservation.mass", with_fields=False)
            if any(s.kind == "coord" and s.name != self.time for s in expr.symbols):
                raise SpecError("the total mass depends on time and parameters only",
                                file=self.source, key="conservation.mass")
        if c.time is not None and self.time is not None:
            lo, hi = self.domain[self.time]
            if not lo <= c.time <= hi:
                raise SpecError(f"must lie in the time range [{lo:g}, {hi:g}]",
                                file=self.source, key="conservation.time")
        if c.n_context % c.t_slots or c.n_target % c.t_slots:
            raise SpecError("n_context and n_target must be multiples of t_slots",
                            file=self.source, key="conservation.t_slots")

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
            if not isinstance(p.guess, (int, float)) or not math.isfinite(p.guess):
                raise SpecError("guess must be a finite number", file=self.source, key=key)
            if p.log not in (None, True, False):
                raise SpecError("log must be true or false", file=self.source, key=f"{key}.log")
            if p.bounds is not None:
                lo, hi = p.bounds
                if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                    raise SpecError("bounds are [low, high] with finite low < high",
                                    file=self.source, key=f"{key}.bounds")
                if not lo < p.guess < hi:
                    raise SpecError(f"guess {p.guess} must lie strictly inside bounds "
                                    f"[{lo}, {hi}]", file=self.source, key=key)
                if p.log and lo <= 0:
                    raise SpecError(f"log = true needs a positive lower bound, got {lo}",
                                    file=self.source, key=f"{key}.log")
            elif p.log and p.guess <= 0:
                raise SpecError(f"log = true needs a positive guess, got {p.guess}",
                                file=self.source, key=f"{key}.log")
            if not (isinstance(p.lr_factor, (int, float)) and 0 < p.lr_factor < 1e6):
                raise SpecError("lr_factor must be a positive number", file=self.source,
                                key=f"{key}.lr_factor")
        elif isinstance(p.value, bool) or not isinstance(p.value, (int, float)) or \
                not math.isfinite(p.value):
            raise SpecError(f"value {p.value!r} is not a finite number", file=self.source,
                            key=key)

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
        if c.kind == "equation":  # a residual of fields, derivatives and definitions
            self.boundary(c, key)
            self.expression(c.value, f"{key}.value")
            self.constant(c.scale, f"{key}.scale")
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
        self.constant(c.scale, f"{key}.scale")

    def _validate_observations(self, obs: Observations) -> None:
        src = obs.file or self.source
        for c in self.coords:
            if c not in obs.coords:
                raise DataError(f"observations lack coordinate column {c!r}", file=src,
                                key="observations")
        if not obs.values:
            raise DataError(f"no column names a field (fields: {', '.join(self.fields)})",
                            file=src, key="observations")
        observable = [*self.fields, *self.definitions]
        for name in obs.values:
            if name not in observable:
                raise DataError(f"column {name!r} is neither a coordinate nor a field or "
                                f"definition (fields: {', '.join(self.fields)})", file=src,
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

    def fingerprint(self) -> str:
        """A hash of everything that defines the problem's solution (domain, fields,
        equations, parameters, conditions, observations, decomposition, reference), not of
        its name, file or training options: checkpoints carry it."""
        import hashlib
        import json
        from dataclasses import asdict, is_dataclass

        def plain(v):
            if isinstance(v, np.ndarray):
                return hashlib.sha256(np.ascontiguousarray(v, dtype=float).tobytes()).hexdigest()
            if is_dataclass(v):
                return plain(asdict(v))
            if isinstance(v, Mapping):
                return {str(k): plain(x) for k, x in v.items()}
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            return v

        obs = self.observations
        content = {"domain": self.domain, "fields": self.fields, "time": self.time,
                   "equations": self.equations, "parameters": self.parameters,
                   "definitions": self.definitions, "bounds": self.bounds,
                   "simplex": self.simplex,
                   "conditions": self.conditions, "decomposition": self.decomposition,
                   "family": self.family, "reference": self.reference,
                   "observations": None if obs is None else {
                       "coords": obs.coords, "values": obs.values, "noise": obs.noise}}
        text = json.dumps(plain(content), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

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
