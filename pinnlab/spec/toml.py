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

import csv
import io
import math
import os
import re
import sys

import numpy as np

from ..errors import DataError, PinnlabError, SpecError
from ..expr import Namespace, compile_expression
from ..io import data_file, read_bytes, read_text
from . import plugins
from .decomposition import Decomposition
from .problem import (
    Condition,
    Conservation,
    FamilyDraw,
    Observations,
    Parameter,
    Problem,
    Reference,
)
from .schema import FamilyTable, ParameterTable, validate

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SPEC_LIMIT = 4 * 2**20      # bytes: the largest spec file
CSV_LIMIT = 64 * 2**20      # bytes: the largest observations file


def load(path: str | os.PathLike, *, data_dirs: tuple[str, ...] = ()) -> Problem:
    """Load and validate a TOML problem spec; raise :class:`SpecError` naming file and key.

    Data files the spec names resolve inside its folder or one of ``data_dirs``.
    """
    path = os.fspath(path)
    return from_dict(read_toml(path), source=path,
                     directory=os.path.dirname(os.path.abspath(path)), data_dirs=data_dirs)


def read_toml(path: str | os.PathLike) -> dict:
    """The tables of a TOML file: size-limited, UTF-8, well-formed (else a :class:`SpecError`
    naming the file)."""
    path = os.fspath(path)
    try:
        text = read_text(path, limit=SPEC_LIMIT, file=path)
    except DataError as exc:
        raise SpecError(exc.message, file=path) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"malformed TOML: {exc}", file=path) from None
    except RecursionError:
        raise SpecError("malformed TOML: nested too deeply", file=path) from None


def from_dict(raw: dict, *, source: str = "<python>", directory: str = ".",
              data_dirs: tuple[str, ...] = ()) -> Problem:
    """Build a :class:`Problem` from the parsed TOML tables (validated by
    :mod:`pinnlab.spec.schema` first)."""
    raw = dict(raw)
    domain_raw = raw.get("domain")
    if isinstance(domain_raw, dict) and "time" in domain_raw:  # `time = "t"` inside [domain]
        domain_raw = dict(domain_raw)
        raw.setdefault("time", domain_raw.pop("time"))
        raw["domain"] = domain_raw
    doc = validate(raw, source=source)
    constants = Namespace([], [])
    domain = {c: tuple(_constant(v, constants, source, f"domain.{c}") for v in rng)
              for c, rng in doc.domain.items()}
    parameters = {k: _parameter(v, source, f"parameters.{k}") for k, v in doc.parameters.items()}
    conditions = {k: Condition(**c.model_dump()) for k, c in doc.conditions.items()}

    reference = None
    if doc.reference is not None:
        r = doc.reference
        if (r.solver is None) == (r.file is None):
            raise SpecError("give exactly one of 'solver' or 'file'", file=source,
                            key="reference")
        file = None
        if r.file is not None:
            file = data_file(r.file, base=directory, allowed=data_dirs, file=source,
                             key="reference.file")
            reference_arrays(file, list(domain), _fields(doc.fields, source)[0], source=source,
                             shown=r.file)
        reference = Reference(solver=r.solver, file=file, grid=dict(r.grid),
                              options=dict(r.model_extra or {}))

    observations = None
    if doc.observations is not None:
        path = data_file(doc.observations.file, base=directory, allowed=data_dirs,
                         file=source, key="observations.file")
        observations = read_observations(path, list(domain), noise=doc.observations.noise,
                                         label=doc.observations.file)
        observations.noise_model = doc.observations.noise_model

    name = doc.name or _plain_name(os.path.splitext(os.path.basename(source))[0])
    decomposition = None
    if doc.decomposition is not None:
        d = doc.decomposition
        decomposition = Decomposition(split=list(d.split), strip=d.strip,
                                      interface_conditions=d.interface_conditions,
                                      flux=dict(d.flux))
    fields, bounds, simplex = _fields(doc.fields, source)
    given = plugins.Contribution()
    if doc.plugins:
        given = plugins.resolve(doc.plugins, plugins.Context(
            source, directory, tuple(data_dirs), tuple(fields), tuple(domain),
            tuple(parameters)))
    parameters = plugins.merge(parameters, {k: Parameter(value=v)
                                            for k, v in given.parameters.items()},
                               "parameters", source)
    definitions = plugins.merge(dict(doc.definitions), given.definitions, "definitions", source)
    family, draws = _family(doc.family, source)
    return Problem(name=name, domain=domain, fields=fields, bounds=bounds, simplex=simplex,
                   definitions=definitions, functions=given.functions, plugins=given.objects,
                   equations=dict(doc.equations), parameters=parameters,
                   conditions=conditions, time=doc.time, reference=reference,
                   observations=observations, training=dict(doc.training),
                   decomposition=decomposition,
                   family=family, family_draws=draws,
                   source=source, directory=directory, description=doc.description,
                   conservation=(Conservation(**doc.conservation.model_dump())
                                 if doc.conservation is not None else None))


def _fields(entry, source: str) -> tuple[list[str], dict, dict]:
    """Field names, bounds and simplex groups from ``fields = [...]`` or ``[fields.<name>]``
    tables (``species = [...]`` makes fields ``<name>_<species>``)."""
    if isinstance(entry, list):
        return list(entry), {}, {}
    names, bounds, simplex = [], {}, {}
    for name, t in entry.items():
        if t.species is not None and t.bounds is not None:
            raise SpecError("a field has bounds or species, not both", file=source,
                            key=f"fields.{name}")
        if t.species is not None:
            simplex[name] = [f"{name}_{k}" for k in t.species]
            names += simplex[name]
        else:
            names.append(name)
            if t.bounds is not None:
                bounds[name] = tuple(t.bounds)
    return names, bounds, simplex


def _family(entries: dict, source: str) -> tuple[dict, dict]:
    """``[family]``: the ranges of its parameters (uniform lists and ``log_uniform`` tables, in
    order) and the draws of its tables (:class:`FamilyDraw`)."""
    family, draws = {}, {}
    for k, v in entries.items():
        if not isinstance(v, FamilyTable):
            family[k] = (float(v[0]), float(v[1]))
            continue
        keys = {n: getattr(v, n) for n in v.model_fields_set - {"kind", "range"}}
        if v.kind == "log_uniform":
            if v.range is None:
                raise SpecError("a log_uniform entry needs range = [low, high]", file=source,
                                key=f"family.{k}.range")
            family[k] = (float(v.range[0]), float(v.range[1]))
        elif v.range is not None:
            raise SpecError(f"range is for log_uniform entries, not {v.kind}", file=source,
                            key=f"family.{k}.range")
        draws[k] = FamilyDraw(v.kind, **{n: tuple(x) if isinstance(x, list) else x
                                        for n, x in keys.items()})
    return family, draws


def parse_value(text: str):
    """A command-line value read as a TOML value (``3``, ``1e-3``, ``true``, ``{u = 2}``);
    text that is no TOML value stays text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text


def _plain_name(stem: str) -> str:
    """A default problem name from a file name: only letters, digits, ``_ . -``."""
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", stem).lstrip(".-")[:64]
    return name or "problem"


def _constant(v, ns: Namespace, source: str, key: str) -> float:
    if isinstance(v, str):
        return compile_expression(v, ns, file=source, key=key).constant()
    return float(v)


def _parameter(v, source: str, key: str) -> Parameter:
    if not isinstance(v, ParameterTable):
        return Parameter(value=_constant(v, Namespace([], []), source, key))
    if v.value is not None:
        if v.guess is not None or v.bounds is not None or v.log is not None or \
                v.lr_factor is not None:
            raise SpecError("a known parameter has a 'value' only; an unknown one 'guess', "
                            "'bounds', 'log'", file=source, key=key)
        return Parameter(value=_constant(v.value, Namespace([], []), source, f"{key}.value"))
    if v.guess is None:
        raise SpecError("an unknown parameter needs a 'guess'", file=source, key=key)
    return Parameter(guess=float(v.guess),
                     bounds=tuple(map(float, v.bounds)) if v.bounds is not None else None,
                     log=v.log, lr_factor=float(v.lr_factor or 1.0))


def read_observations(path: str, coords: list[str], *, noise: float = 0.0,
                      label: str | None = None) -> Observations:
    """Read a CSV whose header names the columns: coordinates (``coords``) and fields. An
    empty cell in a field's column means "not measured there" (NaN in ``values``): fields may
    be observed at different points. Every coordinate cell must hold a number.

    Errors name the file and the row and column, never the file's content.
    """
    label = label or path
    key = "observations.file"
    text = read_text(path, limit=CSV_LIMIT, file=label, key=key)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        rows = list(reader)
    except csv.Error:
        raise DataError("not a readable CSV file", file=label, key=key) from None
    names = [h.strip() for h in header or []]
    if not names or not all(names) or len(set(names)) != len(names):
        raise DataError("the first line must name each column once (coordinates and fields)",
                        file=label, key=key)
    if not all(re.fullmatch(r"[A-Za-z]\w{0,63}", n) for n in names):
        raise DataError("column names must be plain names (letters, digits, '_')", file=label,
                        key=key)
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        raise DataError("no rows of observations after the header", file=label, key=key)
    data = np.empty((len(rows), len(names)))
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise DataError(f"row {i + 2} has {len(row)} values, the header names "
                            f"{len(names)}", file=label, key=key)
        for j, cell in enumerate(row):
            if not cell.strip() and names[j] not in coords:
                data[i, j] = np.nan  # not measured
                continue
            try:
                data[i, j] = float(cell)
            except ValueError:
                raise DataError(f"row {i + 2}, column {names[j]!r}: not a number", file=label,
                                key=key) from None
            if not math.isfinite(data[i, j]):
                raise DataError(f"row {i + 2}: {cell.strip()!r} is not a finite number (leave "
                                "the cell empty where nothing was measured)", file=label,
                                key=f"observations:{names[j]}")
    cols = {n: data[:, i] for i, n in enumerate(names)}
    return Observations(coords={n: v for n, v in cols.items() if n in coords},
                        values={n: v for n, v in cols.items() if n not in coords},
                        noise=noise, file=label)


NPZ_LIMIT = 2**30  # bytes: the largest total size of an .npz's arrays once decompressed


def reference_arrays(path: str, coords: list[str], fields: list[str], *, source: str,
                     shown: str | None = None) -> dict[str, np.ndarray]:
    """The arrays of a ``[reference] file``: one per coordinate (its grid) and one per field,
    whose axes are the coordinates in ``coords`` order (``[domain]`` order, ``indexing='ij'``)
    — a transposed field is refused, not scored against the wrong points. Errors name the
    spec ``source`` (an unreadable file: ``shown``, as the spec gives it)."""
    arrays = read_npz(path, file=shown or source, key="reference.file")
    missing = [n for n in [*coords, *fields] if n not in arrays]
    if missing:
        raise SpecError(f"the reference file lacks arrays {missing}", file=source,
                        key="reference.file")
    shape = tuple(np.size(arrays[c]) for c in coords)
    for f in fields:
        if np.shape(arrays[f]) != shape:
            raise SpecError(f"reference file: {f!r} has shape {np.shape(arrays[f])}, the grid "
                            f"of {', '.join(coords)} ([domain] order) {shape}", file=source,
                            key="reference.file")
    return arrays


def read_npz(path: str, *, file: str, key: str) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` data file (no pickled objects; size-limited, also once
    decompressed)."""
    import zipfile

    data = read_bytes(path, file=file, key=key)
    try:
        size = 0
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():  # the sizes the headers declare, before reading
                size += info.file_size
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                              np.lib.format.read_array_header_2_0)
                    shape, _, dtype = header(member)
                size += int(np.prod(shape, dtype=float)) * dtype.itemsize
    except Exception:
        raise DataError("not a readable .npz file of plain arrays", file=file,
                        key=key) from None
    if size > NPZ_LIMIT:
        raise DataError(f"the arrays would take {size} bytes (at most {NPZ_LIMIT})", file=file,
                        key=key)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: np.asarray(z[k]) for k in z.files}
    except PinnlabError:
        raise
    except Exception:
        raise DataError("not a readable .npz file of plain arrays", file=file,
                        key=key) from None
