"""The semantic checks of a :class:`~pinnlab.spec.problem.Problem` (what a schema cannot say:
names used once, expressions that compile against the namespace, conditions on real
boundaries, observations inside the domain, ...), run when a problem is built."""

from __future__ import annotations

import keyword
import math
import re
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DataError, SpecError
from ..expr import Namespace
from .decomposition import Decomposition, parse_interface_conditions
from .schema import CONDITION_KINDS, NAME_PATTERN

if TYPE_CHECKING:
    from .problem import Condition, Conservation, Observations, Parameter, Problem

MAX_COMPONENTS = 512  # derivative components one jet may carry


def validate(problem: Problem) -> None:
    """Every semantic check of a problem; the first failure is a one-line error naming the
    file and key."""
    src = problem.source
    if not isinstance(problem.name, str) or not re.fullmatch(NAME_PATTERN, problem.name):
        raise SpecError("a name is plain: letters, digits, '_', '.', '-' (at most 64, not "
                        "starting with '.' or '-'), no path", file=src, key="name")
    if not problem.domain:
        raise SpecError("no coordinates: give at least one range", file=src, key="domain")
    for c, (lo, hi) in problem.domain.items():
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise SpecError(f"range must be finite with low < high, got [{lo}, {hi}]",
                            file=src, key=f"domain.{c}")
    if problem.time is not None and problem.time not in problem.domain:
        raise SpecError(f"time coordinate {problem.time!r} is not in the domain",
                        file=src, key="time")
    if not problem.fields:
        raise SpecError("no fields: name at least one unknown function", file=src,
                        key="fields")
    _names(problem)
    for k, p in problem.parameters.items():
        _parameter(problem, k, p)
    problem.compiled_definitions()
    _outputs(problem)
    if not problem.equations:
        raise SpecError("no equations", file=src, key="equations")
    used, indices = set(), set()
    for expr in problem.compiled_equations().values():
        used |= {s.name for s in expr.derivatives}
        indices |= {s.index for s in expr.derivatives}
    from ..jet import closure

    if len(closure(len(problem.domain), indices)) > MAX_COMPONENTS:
        raise SpecError(f"the equations need more than {MAX_COMPONENTS} distinct partial "
                        "derivatives (with their lower orders)", file=src, key="equations")
    for f in problem.fields:
        if f not in used:
            raise SpecError(f"field {f!r} appears in no equation, so nothing determines it",
                            file=src, key="fields")
    for k, c in problem.conditions.items():
        _condition(problem, k, c)
    if problem.observations is not None:
        _observations(problem, problem.observations)
    if problem.decomposition is not None:
        _decomposition(problem, problem.decomposition)
    _family(problem)
    if problem.reference is not None and problem.reference.solver is not None:
        from ..reference import check_reference

        check_reference(problem)
    if problem.conservation is not None:
        _conservation(problem, problem.conservation)


#: the keys of each kind of ``[family.<name>]`` table beside ``kind`` (a ``range`` sits in
#: ``Problem.family``)
FAMILY_KEYS = {"log_uniform": ("range",), "sine_series": ("modes", "decay"),
               "gaussian_field": ("length_scale", "std", "transform", "threshold", "values")}


def _family(problem: Problem) -> None:
    """``[family]``: known parameters with finite ranges; the tables' keys fit their kind; a
    random function replaces a definition of the space coordinates (see ``FamilyDraw``)."""
    src = problem.source
    for k, rng in problem.family.items():
        p = problem.parameters.get(k)
        if p is None or p.unknown:
            raise SpecError(f"family parameter {k!r} is not a known parameter of the "
                            "problem", file=src, key=f"family.{k}")
        lo, hi = map(float, rng)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise SpecError(f"range must be finite with low < high, got {list(rng)}",
                            file=src, key=f"family.{k}")
    for k, d in problem.family_draws.items():
        key = f"family.{k}"
        if d.kind not in FAMILY_KEYS:
            raise SpecError(f"unknown kind {d.kind!r} (known: {', '.join(FAMILY_KEYS)})",
                            file=src, key=f"{key}.kind")
        for n in ("modes", "decay", *FAMILY_KEYS["gaussian_field"]):
            if getattr(d, n) is not None and n not in FAMILY_KEYS[d.kind]:
                raise SpecError(f"{n} is not a key of a {d.kind} entry (its keys: "
                                f"{', '.join(('kind', *FAMILY_KEYS[d.kind]))})",
                                file=src, key=f"{key}.{n}")
        if d.kind == "log_uniform":
            if k not in problem.family or problem.family[k][0] <= 0:
                raise SpecError("a log_uniform range is positive: [low, high] with 0 < low",
                                file=src, key=f"{key}.range")
            continue
        if k in problem.family or k not in problem.definitions:
            raise SpecError(f"a {d.kind} replaces a definition: give its value in this "
                            f"spec's own member as [definitions] {k} = \"...\"", file=src,
                            key=key)
        used = problem.compiled_definitions()[k].symbols
        if any(s.kind == "field" or (s.kind, s.name) == ("coord", problem.time)
               for s in used):
            raise SpecError(f"definition {k!r} must be a function of the space coordinates, "
                            f"as its {d.kind} draws are", file=src, key=f"definitions.{k}")
        _family_draw(problem, key, d)


def _family_draw(problem: Problem, key: str, d) -> None:
    """What a random function's kind needs beyond its keys' types (the schema's)."""
    src = problem.source
    need = "modes" if d.kind == "sine_series" else "length_scale"
    if getattr(d, need) is None:
        raise SpecError(f"a {d.kind} needs {need}", file=src, key=f"{key}.{need}")
    if d.kind == "sine_series" and len(problem.space) != 1:
        raise SpecError("a sine_series is a function of one space coordinate", file=src,
                        key=key)
    threshold = d.transform == "threshold"
    if threshold and d.values is None:
        raise SpecError("transform = \"threshold\" needs values = [below, above]", file=src,
                        key=f"{key}.values")
    for n in ("threshold", "values"):
        if not threshold and getattr(d, n) is not None:
            raise SpecError(f"{n} is for transform = \"threshold\"", file=src,
                            key=f"{key}.{n}")


def _names(problem: Problem) -> None:
    """Coordinates, fields and parameters: identifiers, each used once, none shadowing a
    constant or a function, none readable as a derivative of a field."""
    from ..expr import CONSTANTS, FUNCTIONS

    seen: dict[str, str] = {}
    groups = (("domain", list(problem.domain)), ("fields", list(problem.fields)),
              ("parameters", list(problem.parameters)),
              ("definitions", list(problem.definitions)))
    for table, names in groups:
        for n in names:
            key = f"{table}.{n}" if table != "fields" else "fields"
            if not isinstance(n, str) or not re.fullmatch(r"[A-Za-z]\w{0,63}", n):
                raise SpecError(f"{str(n)[:40]!r} is not a plain name (a letter, then "
                                "letters, digits, '_')", file=problem.source, key=key)
            if n in CONSTANTS or n in FUNCTIONS or keyword.iskeyword(n):
                raise SpecError(f"{n!r} is reserved (a constant, function or keyword)",
                                file=problem.source, key=key)
            if n in seen:
                raise SpecError(f"name {n!r} used twice ({seen[n]} and {table})",
                                file=problem.source, key=key)
            seen[n] = table
    ns = Namespace(problem.coords, problem.fields, [])
    for table, names in groups[2:] + groups[:1]:
        for n in names:
            sym = ns.resolve(n)
            if sym is not None and getattr(sym, "kind", "") == "field" and sym.index:
                raise SpecError(f"{n!r} reads as a derivative of field {sym.name!r}; "
                                "rename it", file=problem.source, key=f"{table}.{n}")

def _outputs(problem: Problem) -> None:
    """Bounded and simplex fields: existing fields, constant bounds low < high, each field
    in one map at most."""
    seen: set[str] = set()
    for f, rng in problem.bounds.items():
        key = f"fields.{f}.bounds"
        if f not in problem.fields:
            raise SpecError(f"{f!r} is not a field", file=problem.source, key=key)
        if not isinstance(rng, (list, tuple)) or len(rng) != 2:
            raise SpecError("bounds are [low, high]", file=problem.source, key=key)
        lo, hi = (problem.constant(v, key) for v in rng)
        if not lo < hi:
            raise SpecError(f"bounds need low < high, got [{lo:g}, {hi:g}]",
                            file=problem.source, key=key)
        seen.add(f)
    for group, members in problem.simplex.items():
        key = f"fields.{group}.species"
        if len(members) < 2:
            raise SpecError("a simplex has at least two members", file=problem.source, key=key)
        for f in members:
            if f not in problem.fields or f in seen:
                raise SpecError(f"{f!r} is not a field, or already bounded",
                                file=problem.source, key=key)
            seen.add(f)

def _conservation(problem: Problem, c: Conservation) -> None:
    problem.expression(c.density, "conservation.density")
    if c.mass is not None:
        expr = problem.expression(c.mass, "conservation.mass", with_fields=False)
        if any(s.kind == "coord" and s.name != problem.time for s in expr.symbols):
            raise SpecError("the total mass depends on time and parameters only",
                            file=problem.source, key="conservation.mass")
    if c.time is not None and problem.time is not None:
        lo, hi = problem.domain[problem.time]
        if not lo <= c.time <= hi:
            raise SpecError(f"must lie in the time range [{lo:g}, {hi:g}]",
                            file=problem.source, key="conservation.time")
    if c.n_context % c.t_slots or c.n_target % c.t_slots:
        raise SpecError("n_context and n_target must be multiples of t_slots",
                        file=problem.source, key="conservation.t_slots")

def _decomposition(problem: Problem, d: Decomposition) -> None:
    d.geometry(problem.domain, source=problem.source)
    parse_interface_conditions(d.interface_conditions, source=problem.source)
    for c, text in d.flux.items():
        if c not in problem.domain:
            raise SpecError(f"flux for unknown coordinate {c!r}", file=problem.source,
                            key=f"decomposition.flux.{c}")
        problem.expression(text, f"decomposition.flux.{c}")

def _parameter(problem: Problem, k: str, p: Parameter) -> None:
    key = f"parameters.{k}"
    if p.unknown:
        if p.guess is None:
            raise SpecError("unknown parameter needs a 'guess' (and optionally 'bounds')",
                            file=problem.source, key=key)
        if not isinstance(p.guess, (int, float)) or not math.isfinite(p.guess):
            raise SpecError("guess must be a finite number", file=problem.source, key=key)
        if p.log not in (None, True, False):
            raise SpecError("log must be true or false", file=problem.source, key=f"{key}.log")
        if p.bounds is not None:
            lo, hi = p.bounds
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise SpecError("bounds are [low, high] with finite low < high",
                                file=problem.source, key=f"{key}.bounds")
            if not lo < p.guess < hi:
                raise SpecError(f"guess {p.guess} must lie strictly inside bounds "
                                f"[{lo}, {hi}]", file=problem.source, key=key)
            if p.log and lo <= 0:
                raise SpecError(f"log = true needs a positive lower bound, got {lo}",
                                file=problem.source, key=f"{key}.log")
        elif p.log and p.guess <= 0:
            raise SpecError(f"log = true needs a positive guess, got {p.guess}",
                            file=problem.source, key=f"{key}.log")
        if not (isinstance(p.lr_factor, (int, float)) and 0 < p.lr_factor < 1e6):
            raise SpecError("lr_factor must be a positive number", file=problem.source,
                            key=f"{key}.lr_factor")
    elif isinstance(p.value, bool) or not isinstance(p.value, (int, float)) or \
            not math.isfinite(p.value):
        raise SpecError(f"value {p.value!r} is not a finite number", file=problem.source,
                        key=key)

def _condition(problem: Problem, k: str, c: Condition) -> None:
    key = f"conditions.{k}"
    if c.kind not in CONDITION_KINDS:
        raise SpecError(f"unknown kind {c.kind!r} (one of {', '.join(CONDITION_KINDS)})",
                        file=problem.source, key=f"{key}.kind")
    if c.kind == "periodic":
        if c.on not in problem.space:
            raise SpecError(f"periodic needs 'on' = a space coordinate, got {c.on!r}",
                            file=problem.source, key=f"{key}.on")
        return
    if c.kind == "integral":  # ∫ value dx = equals over space
        if c.on or c.field:
            raise SpecError("an integral condition holds over the whole space domain: give "
                            "no 'on' or 'field'", file=problem.source,
                            key=f"{key}.{'on' if c.on else 'field'}")
        problem.expression(c.value, f"{key}.value")
        problem.expression(c.equals, f"{key}.equals", with_fields=False)
        problem.constant(c.scale, f"{key}.scale")
        return
    if c.kind == "equation":  # a residual of fields, derivatives and definitions
        problem.boundary(c, key)
        problem.expression(c.value, f"{key}.value")
        problem.constant(c.scale, f"{key}.scale")
        return
    if c.field not in problem.fields:
        raise SpecError(f"unknown field {c.field!r} (fields: {', '.join(problem.fields)})",
                        file=problem.source, key=f"{key}.field")
    if c.kind == "initial":
        if problem.time is None:
            raise SpecError("initial condition in a problem without time",
                            file=problem.source, key=key)
    else:
        problem.boundary(c, key)
    problem.expression(c.value, f"{key}.value", with_fields=False)
    problem.constant(c.scale, f"{key}.scale")

def _observations(problem: Problem, obs: Observations) -> None:
    src = obs.file or problem.source
    for c in problem.coords:
        if c not in obs.coords:
            raise DataError(f"observations lack coordinate column {c!r}", file=src,
                            key="observations")
    if not obs.values:
        raise DataError(f"no column names a field (fields: {', '.join(problem.fields)})",
                        file=src, key="observations")
    observable = [*problem.fields, *problem.definitions]
    for name in obs.values:
        if name not in observable:
            raise DataError(f"column {name!r} is neither a coordinate nor a field or "
                            f"definition (fields: {', '.join(problem.fields)})", file=src,
                            key=f"observations:{name}")
    for name, arr in {**obs.coords, **obs.values}.items():
        bad = ~np.isfinite(arr) if name in obs.coords else np.isinf(arr)  # NaN: not measured
        if bad.any():
            raise DataError(f"non-finite value in column {name!r} (row "
                            f"{int(np.flatnonzero(bad)[0]) + 1})", file=src,
                            key=f"observations:{name}")
        if np.isnan(arr).all():
            raise DataError(f"column {name!r} has no measured value", file=src,
                            key=f"observations:{name}")
    for c, arr in obs.coords.items():
        if c not in problem.domain:
            continue
        lo, hi = problem.domain[c]
        tol = 1e-9 * (hi - lo)
        out = np.flatnonzero((arr < lo - tol) | (arr > hi + tol))
        if out.size:
            raise DataError(f"{c} = {arr[out[0]]:g} (row {out[0] + 1}) lies outside the "
                            f"domain [{lo:g}, {hi:g}]", file=src, key=f"observations:{c}")
