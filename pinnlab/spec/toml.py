"""Read a problem spec from TOML into a :class:`~pinnlab.spec.problem.Problem`.

Layout (see ``problems/burgers.toml`` for a complete example)::

    name = "burgers"
    fields = ["u"]

    [domain]              # coordinates and their ranges, in order; time is "t" unless `time = ...`
    x = [-1.0, 1.0]
    t = [0.0, 1.0]

    [parameters]
    nu = "0.01/pi"                               # known (number or constant expression)
    # nu = { guess = 0.05, bounds = [1e-4, 1] }  # unknown

    [equations]
    burgers = "u_t + u*u_x - nu*u_xx"

    [conditions.initial]
    kind = "initial"
    field = "u"
    value = "-sin(pi*x)"

    [reference]
    solver = "burgers_cole_hopf"
    grid = { x = 256, t = 100 }

    [observations]        # CSV with a header naming coordinates and fields
    file = "burgers_inverse_obs.csv"
    noise = 0.01

    [training]            # defaults for `pinnlab solve` (see pinnlab.methods.pinn.PINNConfig)
    adam_steps = 2000
"""

from __future__ import annotations

import os
import sys

import numpy as np

from ..errors import DataError, SpecError
from ..expr import Namespace, compile_expression
from .decomposition import Decomposition
from .problem import CONDITION_KINDS, Condition, Observations, Parameter, Problem, Reference

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOP_KEYS = {"name", "description", "fields", "domain", "time", "parameters", "equations",
            "conditions", "reference", "observations", "training", "decomposition", "family"}


def load(path: str | os.PathLike) -> Problem:
    """Load and validate a TOML problem spec; raise :class:`SpecError` naming file and key."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise SpecError("file not found", file=path) from None
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"malformed TOML: {exc}", file=path) from None
    return from_dict(raw, source=path, directory=os.path.dirname(os.path.abspath(path)))


def from_dict(raw: dict, *, source: str = "<python>", directory: str = ".") -> Problem:
    """Build a :class:`Problem` from the parsed TOML tables."""
    def need(table, key, kind, where):
        if key not in table:
            raise SpecError(f"missing key {key!r}", file=source, key=where)
        v = table[key]
        if not isinstance(v, kind):
            raise SpecError(f"expected {_kind(kind)}, got {type(v).__name__}", file=source,
                            key=where if where.endswith(key) else f"{where}.{key}")
        return v

    unknown = set(raw) - TOP_KEYS
    if unknown:
        raise SpecError(f"unknown top-level key(s) {sorted(unknown)}", file=source,
                        key=sorted(unknown)[0])
    domain_raw = dict(need(raw, "domain", dict, "domain"))
    time = domain_raw.pop("time", raw.get("time"))
    domain = {}
    for c, rng in domain_raw.items():
        if (not isinstance(rng, list) or len(rng) != 2
                or not all(isinstance(v, (int, float, str)) and not isinstance(v, bool)
                           for v in rng)):
            raise SpecError("a range is a list of two numbers or constant expressions, e.g. "
                            "[0.0, \"2*pi\"]", file=source, key=f"domain.{c}")
        domain[c] = tuple(float(compile_expression(v, Namespace([], []), file=source,
                                                   key=f"domain.{c}").evaluate({}))
                          if isinstance(v, str) else float(v) for v in rng)
    fields = raw.get("fields", [])
    if isinstance(fields, str):
        fields = [fields]
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise SpecError("fields is a list of names, e.g. [\"u\"]", file=source, key="fields")

    parameters = {}
    for k, v in raw.get("parameters", {}).items():
        parameters[k] = _parameter(v, source, f"parameters.{k}")

    equations = need(raw, "equations", dict, "equations")
    for k, v in equations.items():
        if not isinstance(v, str):
            raise SpecError("an equation is text, e.g. \"u_t + u*u_x - nu*u_xx\"",
                            file=source, key=f"equations.{k}")

    conditions = {}
    for k, v in raw.get("conditions", {}).items():
        if not isinstance(v, dict):
            raise SpecError("a condition is a table with 'kind', 'field', 'on', 'value'",
                            file=source, key=f"conditions.{k}")
        extra = set(v) - {"kind", "field", "on", "value", "alpha", "beta", "derivative"}
        if extra:
            raise SpecError(f"unknown key(s) {sorted(extra)}", file=source,
                            key=f"conditions.{k}.{sorted(extra)[0]}")
        kind = v.get("kind")
        if kind not in CONDITION_KINDS:
            raise SpecError(f"unknown or missing kind {kind!r} (one of "
                            f"{', '.join(CONDITION_KINDS)})", file=source,
                            key=f"conditions.{k}.kind")
        conditions[k] = Condition(**v)

    reference = None
    if "reference" in raw:
        r = dict(raw["reference"])
        grid = r.pop("grid", {})
        solver, file = r.pop("solver", None), r.pop("file", None)
        if (solver is None) == (file is None):
            raise SpecError("give exactly one of 'solver' or 'file'", file=source,
                            key="reference")
        if file is not None:
            file = os.path.join(directory, file)
            if not os.path.exists(file):
                raise SpecError(f"reference file {file!r} not found", file=source,
                                key="reference.file")
        reference = Reference(solver=solver, file=file, grid=dict(grid), options=r)

    observations = None
    if "observations" in raw:
        o = raw["observations"]
        f = need(o, "file", str, "observations.file")
        observations = read_observations(os.path.join(directory, f), list(domain),
                                         noise=float(o.get("noise", 0.0)))

    training = raw.get("training", {})
    if not isinstance(training, dict):
        raise SpecError("training is a table", file=source, key="training")
    name = raw.get("name") or os.path.splitext(os.path.basename(source))[0]
    return Problem(name=name, domain=domain, fields=fields, equations=dict(equations),
                   parameters=parameters, conditions=conditions, time=time,
                   reference=reference, observations=observations, training=dict(training),
                   decomposition=_decomposition(raw.get("decomposition"), source),
                   family=_family(raw.get("family", {}), source),
                   source=source, directory=directory)


def _decomposition(d, source: str) -> Decomposition | None:
    if d is None:
        return None
    if not isinstance(d, dict):
        raise SpecError("decomposition is a table", file=source, key="decomposition")
    extra = set(d) - {"split", "strip", "interface_conditions", "flux"}
    if extra:
        raise SpecError(f"unknown key(s) {sorted(extra)}", file=source,
                        key=f"decomposition.{sorted(extra)[0]}")
    split = d.get("split", [])
    if isinstance(split, str):
        split = [split]
    if not isinstance(split, list) or not all(isinstance(v, str) for v in split):
        raise SpecError("split is a list of lines such as [\"t = 0.5\"]", file=source,
                        key="decomposition.split")
    flux = d.get("flux", {})
    if not isinstance(flux, dict) or not all(isinstance(v, str) for v in flux.values()):
        raise SpecError("flux is a table {coordinate = \"expression\"}", file=source,
                        key="decomposition.flux")
    return Decomposition(split=split, strip=d.get("strip"),
                         interface_conditions=d.get("interface_conditions", "xpinn"),
                         flux=dict(flux))


def _family(f, source: str) -> dict[str, tuple[float, float]]:
    if not isinstance(f, dict):
        raise SpecError("family is a table {parameter = [low, high]}", file=source,
                        key="family")
    out = {}
    for k, rng in f.items():
        if (not isinstance(rng, list) or len(rng) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rng)):
            raise SpecError("a family range is a list of two numbers", file=source,
                            key=f"family.{k}")
        out[k] = (float(rng[0]), float(rng[1]))
    return out


def _parameter(v, source: str, key: str) -> Parameter:
    if isinstance(v, bool):
        raise SpecError("a parameter is a number, an expression or a table", file=source,
                        key=key)
    if isinstance(v, (int, float)):
        return Parameter(value=float(v))
    if isinstance(v, str):
        value = compile_expression(v, Namespace([], []), file=source, key=key).evaluate({})
        return Parameter(value=float(value))
    if isinstance(v, dict):
        extra = set(v) - {"value", "guess", "bounds", "log"}
        if extra:
            raise SpecError(f"unknown key(s) {sorted(extra)}", file=source,
                            key=f"{key}.{sorted(extra)[0]}")
        if "value" in v:
            return _parameter(v["value"], source, f"{key}.value")
        if "guess" not in v:
            raise SpecError("an unknown parameter needs a 'guess'", file=source, key=key)
        bounds = v.get("bounds")
        if bounds is not None and (len(bounds) != 2 or not bounds[0] < bounds[1]):
            raise SpecError("bounds are [low, high] with low < high", file=source,
                            key=f"{key}.bounds")
        return Parameter(guess=float(v["guess"]),
                         bounds=tuple(map(float, bounds)) if bounds else None,
                         log=v.get("log"))
    raise SpecError(f"cannot read a parameter from {type(v).__name__}", file=source, key=key)


def read_observations(path: str, coords: list[str], *, noise: float = 0.0) -> Observations:
    """Read a CSV whose header names the columns: coordinates (``coords``) and fields."""
    if not os.path.exists(path):
        raise DataError("observation file not found", file=path, key="observations.file")
    with open(path) as fh:
        header = fh.readline().strip()
    names = [h.strip() for h in header.split(",")]
    if not all(names) or len(set(names)) != len(names):
        raise DataError(f"bad CSV header {header!r}: give unique column names", file=path,
                        key="header")
    try:
        data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    except ValueError as exc:
        raise DataError(f"cannot read numbers: {exc}", file=path, key="rows") from None
    if data.shape[1] != len(names):
        raise DataError(f"{data.shape[1]} columns but {len(names)} names in the header",
                        file=path, key="header")
    cols = {n: data[:, i].astype(float) for i, n in enumerate(names)}
    return Observations(coords={n: v for n, v in cols.items() if n in coords},
                        values={n: v for n, v in cols.items() if n not in coords},
                        noise=noise, file=path)


def _kind(kind) -> str:
    names = {dict: "a table", str: "text", list: "a list"}
    return names.get(kind, getattr(kind, "__name__", str(kind)))
