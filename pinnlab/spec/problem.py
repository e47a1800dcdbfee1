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
from functools import lru_cache

import numpy as np

from ..errors import SpecError
from ..expr import Expression, Namespace, compile_expression
from ..expr.syntax import PluginFunction
from .decomposition import Decomposition


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

    @property
    def nominal(self) -> float | None:
        """The value, or an unknown's starting guess."""
        return self.guess if self.value is None else self.value


@dataclass
class Condition:
    """An initial or boundary condition on one field.

    Attributes:
        kind: ``initial`` | ``dirichlet`` | ``neumann`` | ``robin`` | ``periodic`` |
            ``equation`` (``value`` is a residual of fields, derivatives and definitions that
            must vanish ``on`` a boundary or an interior point; no ``field``) | ``integral``
            (``∫ value dx = equals`` over the space domain, at every time of a time-dependent
            problem: ``value`` an expression like an equation's, ``equals`` one of time and
            parameters; a global balance such as mass or a flame's energy).
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
        equals, nodes: ``integral`` only: the integral's value and the Gauss–Legendre nodes
            per space coordinate of its quadrature.
    """

    kind: str
    field: str = ""
    on: str = ""
    value: str | float = 0.0
    alpha: float = 1.0
    beta: float = 1.0
    derivative: int = 0
    scale: str | float = 1.0
    equals: str | float = 0.0
    nodes: int = 64


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
    length). ``noise`` is the relative noise level the data carry; ``noise_model`` says
    relative to what: ``"scale"``, each column's spread (σ_c = noise · RMS(y_c), additive), or
    ``"relative"``, each value (σ_i = noise · |y_i|, as in ``y (1 + noise ε)``)."""

    coords: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    noise: float = 0.0
    file: str | None = None
    noise_model: str = "scale"

    def sigmas(self, level: float | None = None) -> dict[str, np.ndarray]:
        """The absolute noise σ of every entry, by column (NaN where not measured), at the
        spec's level or at ``level`` (a fitted one)."""
        level = self.noise if level is None else level
        out = {}
        for c, v in self.values.items():
            v = np.asarray(v, dtype=float)
            if self.noise_model == "relative":
                out[c] = level * np.abs(v)
            else:
                out[c] = np.full_like(v, level * float(np.sqrt(np.nanmean(v**2))))
        return out

    def __len__(self) -> int:
        return len(next(iter(self.values.values()))) if self.values else 0

    def measured(self, name: str | None = None) -> np.ndarray:
        """Where a value was measured (a CSV's empty cell, NaN, is not): a boolean mask of the
        rows for the column ``name``, or of the rows with any measured value."""
        cols = [self.values[name]] if name is not None else list(self.values.values())
        return ~np.all([np.isnan(np.asarray(v, float)) for v in cols], 0)


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


@dataclass(frozen=True)
class FamilyDraw:
    """A ``[family]`` entry drawn otherwise than uniformly in its range (the keys a kind does
    not use stay ``None``; ``pinnlab.generative.family_dataset`` draws them):

    * ``log_uniform``: a known parameter, ``log p ~ U(log low, log high)`` (its range in
      ``Problem.family``);
    * ``sine_series``: a definition replaced by ``sum_{k=1}^{modes} a_k sin(k pi (x - x0)/L)``
      on the one space coordinate ``x`` in ``[x0, x0 + L]``, ``a_k ~ N(0, k^(-2 decay))``;
    * ``gaussian_field``: a definition replaced by ``T(std * g)`` on the nodes of the space
      grid, ``g`` Gaussian with covariance ``exp(-|p - q|^2 / (2 length_scale^2))`` (plus
      ``1e-6`` on the diagonal); ``T`` = ``transform``: ``exp``, ``none`` (identity) or
      ``threshold`` (``values[0]`` below ``threshold``, ``values[1]`` at or above it).
    """

    kind: str
    modes: int | None = None
    decay: float | None = None
    length_scale: float | None = None
    std: float | None = None
    transform: str | None = None
    threshold: float | None = None
    values: tuple[float, float] | None = None


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
            (bandit contexts, sweeps, datasets); each must be a known parameter.
        family_draws: ``{name: FamilyDraw}``: the entries of the family drawn otherwise than
            uniformly: log-uniform parameters (their range in ``family``) and random functions
            replacing definitions (the definition is their value in this spec's own member).
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
    family_draws: dict[str, FamilyDraw] = field(default_factory=dict)
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
        """The semantic checks (:mod:`pinnlab.spec.checks`)."""
        from .checks import validate

        validate(self)

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
                       "coords": obs.coords, "values": obs.values, "noise": obs.noise,
                       **({"noise_model": obs.noise_model} if obs.noise_model != "scale"
                          else {})}}  # (absent by default: earlier checkpoints keep their hash)
        if self.family_draws:  # (absent otherwise: earlier checkpoints keep their hash)
            content["family_draws"] = self.family_draws
        if self.plugins:  # a mechanism's data too
            content["plugins"] = {k: v.fingerprint() if hasattr(v, "fingerprint") else
                                  type(v).__name__ for k, v in self.plugins.items()}
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
