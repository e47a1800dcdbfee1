"""The spec language as a schema: every table, key, type and default of a TOML problem spec.

The TOML loader validates the parsed document against :class:`Document` before it builds a
:class:`~pinnlab.spec.problem.Problem`; the same models check the parts of a problem built in
Python, and give the spec's JSON Schema (:func:`json_schema`) for editors and ``docs/spec.md``.
Unknown keys are errors in every table (a misspelt ``nosie`` is never silently ignored), and
types are strict (``width = "big"`` or ``log = "yes"`` are errors). Expressions (equations,
values, constant ranges) stay text here; :mod:`pinnlab.expr` parses them.

:func:`validate` returns the document or raises one :class:`~pinnlab.errors.SpecError` naming
the file and the dotted key of the first problem.
"""

from __future__ import annotations

import math
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from ..errors import SpecError
from ..options import describe

CONDITION_KINDS = ("initial", "dirichlet", "neumann", "robin", "periodic", "equation",
                   "integral")
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$"


def _finite(v) -> bool:
    return abs(v) < 1e308 if isinstance(v, int) else math.isfinite(v)


def _expression(v):
    """A number or the text of an expression (never a boolean, list or table)."""
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise PydanticCustomError("expr_type", "must be a number or an expression text")
    if not isinstance(v, str) and not _finite(v):
        raise PydanticCustomError("expr_type", "must be a finite number")
    return v


def _number(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite(v):
        raise PydanticCustomError("number_type", "must be a finite number")
    return float(v)


def _range(v):
    if not isinstance(v, list) or len(v) != 2:
        raise PydanticCustomError("range_type", "a range is a list of two numbers or constant "
                                                "expressions, e.g. [0.0, \"2*pi\"]")
    return [_expression(x) for x in v]


def _number_range(v):
    if not isinstance(v, list) or len(v) != 2:
        raise PydanticCustomError("range_type", "a range is a list of two numbers [low, high]")
    return [_number(x) for x in v]


def _names(v):
    if isinstance(v, str):
        return [v]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise PydanticCustomError("names_type", "must be text or a list of text")
    if len(v) > 64:
        raise PydanticCustomError("names_type", "at most 64 entries")
    return v


def _mask(v):
    if isinstance(v, str) or (isinstance(v, list) and all(
            isinstance(x, str) or (isinstance(x, int) and not isinstance(x, bool)) for x in v)):
        return v
    raise PydanticCustomError("mask_type", "a preset name, a list of term names or a 9-bit "
                                           "string such as \"010100000\"")


Expr = Annotated[Any, BeforeValidator(_expression),
                 Field(json_schema_extra={"type": ["number", "string"]})]
Number = Annotated[Any, BeforeValidator(_number), Field(json_schema_extra={"type": "number"})]
Range = Annotated[Any, BeforeValidator(_range), Field(json_schema_extra={
    "type": "array", "minItems": 2, "maxItems": 2, "items": {"type": ["number", "string"]}})]
NumberRange = Annotated[Any, BeforeValidator(_number_range), Field(json_schema_extra={
    "type": "array", "minItems": 2, "maxItems": 2, "items": {"type": "number"}})]
Names = Annotated[Any, BeforeValidator(_names), Field(json_schema_extra={
    "type": ["string", "array"], "items": {"type": "string"}})]
Mask = Annotated[Any, BeforeValidator(_mask), Field(json_schema_extra={
    "type": ["string", "array"]})]


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ParameterTable(Table):
    """An unknown parameter (``guess``, optional ``bounds``, ``log`` and ``lr_factor``) or a
    known one (``value``)."""

    value: Expr | None = None
    guess: Number | None = None
    bounds: NumberRange | None = None
    log: bool | None = Field(None, description="train log(value); default: true for positive "
                                                "bounds")
    lr_factor: Annotated[Number, Field(gt=0)] | None = Field(
        None, description="multiplies the optimizer's learning rate for this parameter")


class FieldTable(Table):
    """One field's output map: ``bounds`` (a sigmoid between two constant expressions), or
    ``species`` (a simplex: fields ``<name>_<species>``, positive, summing to one)."""

    bounds: Range | None = None
    species: Annotated[list[str], Field(min_length=2, max_length=64)] | None = None


FieldsEntry = Annotated[
    Annotated[dict[str, FieldTable], Tag("table")] | Annotated[Names, Tag("value")],
    Discriminator(lambda v: "table" if isinstance(v, dict) else "value"),
]


ParameterEntry = Annotated[
    Annotated[ParameterTable, Tag("table")] | Annotated[Expr, Tag("value")],
    Discriminator(lambda v: "table" if isinstance(v, dict) else "value"),
]


class ConditionTable(Table):
    """An initial or boundary condition (see :class:`~pinnlab.spec.problem.Condition`)."""

    kind: Literal[CONDITION_KINDS]
    field: str = ""
    on: str = ""
    value: Expr = 0.0
    alpha: Number = 1.0
    beta: Number = 1.0
    derivative: Annotated[int, Field(ge=0, le=8)] = 0
    scale: Expr = Field(1.0, description="constant multiplying the residual")
    equals: Expr = Field(0.0, description="integral: the integral's value, an expression of "
                                          "time and parameters")
    nodes: Annotated[int, Field(ge=2, le=4096)] = Field(
        64, description="integral: Gauss-Legendre nodes per space coordinate")


class ReferenceTable(BaseModel):
    """``solver`` (a registered reference solver, whose own options sit beside it) or
    ``file`` (an ``.npz`` in the spec's folder), and the evaluation ``grid``."""

    model_config = ConfigDict(extra="allow", strict=True)
    solver: str | None = None
    file: str | None = None
    grid: dict[str, Annotated[int, Field(ge=2, le=65_536)]] = Field(default_factory=dict)


class FamilyTable(Table):
    """A ``[family.<name>]`` entry drawn per member: a log-uniform parameter, or a random
    function of the space coordinates replacing the definition ``<name>``."""

    kind: Literal["log_uniform", "sine_series", "gaussian_field"]
    range: NumberRange | None = Field(None, description="log_uniform: [low, high], low > 0")
    modes: Annotated[int, Field(ge=1, le=1024)] | None = Field(
        None, description="sine_series: the number K of sine modes")
    decay: Number | None = Field(None, description="sine_series: a_k ~ N(0, k^(-2 decay)); "
                                                   "default 1")
    length_scale: Annotated[Number, Field(gt=0)] | None = Field(
        None, description="gaussian_field: the covariance's length scale")
    std: Annotated[Number, Field(ge=0)] | None = Field(
        None, description="gaussian_field: the field's standard deviation; default 1")
    transform: Literal["exp", "none", "threshold"] | None = Field(
        None, description="gaussian_field: exp(g) (default), g, or two values")
    threshold: Number | None = Field(None, description="transform = threshold: where the "
                                                       "value switches; default 0")
    values: NumberRange | None = Field(None, description="transform = threshold: [below, "
                                                         "at or above]")


FamilyEntry = Annotated[
    Annotated[FamilyTable, Tag("table")] | Annotated[NumberRange, Tag("value")],
    Discriminator(lambda v: "table" if isinstance(v, dict) else "value"),
]


class ObservationsTable(Table):
    """Point measurements: a CSV file (header: coordinate and field names) in the spec's
    folder, the relative noise level they carry and how it scales (``noise_model``)."""

    file: str
    noise: Annotated[Number, Field(ge=0)] = 0.0
    noise_model: Literal["scale", "relative"] = "scale"


class DecompositionTable(Table):
    """Subdomains and their interface terms (multi-domain methods)."""

    split: Names = Field(default_factory=list)
    strip: str | None = None
    interface_conditions: Mask = "xpinn"
    flux: dict[str, str] = Field(default_factory=dict)


class ConservationTable(Table):
    """A conservation law as data: the conserved density (integrated over space), its exact
    total when known, and the evaluation set-up of the probabilistic conservation methods."""

    density: str = "u"
    mass: Expr | None = Field(None, description="exact total U(t); default: the reference's "
                                                "integral")
    time: Number | None = Field(None, description="evaluation time")
    test: Annotated[list[Number], Field(min_length=1, max_length=64)] | None = Field(
        None, description="family parameter values evaluated")
    n_test: Annotated[int, Field(ge=2, le=10_000)] = 50
    n_grid: Annotated[int, Field(ge=3, le=100_000)] = 201
    n_context: Annotated[int, Field(ge=1, le=100_000)] = 100
    n_target: Annotated[int, Field(ge=1, le=100_000)] = 100
    t_slots: Annotated[int, Field(ge=1, le=10_000)] = 10


class Document(Table):
    """A whole problem spec (one TOML file)."""

    name: Annotated[str, Field(pattern=NAME_PATTERN)] | None = Field(
        None, description="plain name (letters, digits, _ . -): the default output folder")
    description: str = ""
    fields: FieldsEntry
    domain: Annotated[dict[str, Range], Field(min_length=1, max_length=8)]
    time: str | None = None
    parameters: Annotated[dict[str, ParameterEntry], Field(max_length=256)] = Field(
        default_factory=dict)
    definitions: Annotated[dict[str, str], Field(max_length=256)] = Field(
        default_factory=dict, description="named sub-expressions, in order")
    equations: Annotated[dict[str, str], Field(min_length=1, max_length=64)]
    conditions: Annotated[dict[str, ConditionTable], Field(max_length=256)] = Field(
        default_factory=dict)
    reference: ReferenceTable | None = None
    observations: ObservationsTable | None = None
    training: dict[str, Any] = Field(default_factory=dict, description="method options")
    decomposition: DecompositionTable | None = None
    family: Annotated[dict[str, FamilyEntry], Field(max_length=64)] = Field(
        default_factory=dict, description="[low, high] of a known parameter, or a table with "
                                          "a kind")
    conservation: ConservationTable | None = None
    plugins: Annotated[dict[str, dict[str, Any]], Field(max_length=16)] = Field(
        default_factory=dict, description="physics plug-ins by name: [plugins.<name>] with a "
                                          "registered kind and its options")


def validate(raw: dict, *, source: str, model: type[BaseModel] | None = None) -> Document:
    """The validated document, or one :class:`SpecError` naming ``source`` and the key
    (``model``: another document schema than a problem spec's)."""
    model = model or Document
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = _real_loc(raw, err["loc"])
        key = ".".join(str(p) for p in loc) or None
        if err["type"] == "extra_forbidden":
            inner = _model_at(loc[:-1], model)
            known = ", ".join(inner.model_fields) if inner else ""
            where = "top-level key" if len(loc) == 1 else "key"
            raise SpecError(f"unknown {where} {str(loc[-1])!r}"
                            + (f" (known: {known})" if known else ""), file=source,
                            key=key) from None
        if err["type"] == "string_pattern_mismatch" and loc == ["name"]:
            raise SpecError("a name is plain: letters, digits, '_', '.', '-' (at most 64, "
                            "not starting with '.' or '-'), no path", file=source,
                            key=key) from None
        if err["type"] in ("expr_type", "number_type", "range_type", "names_type",
                           "mask_type"):
            msg = err["msg"]
        elif err["type"] == "missing":
            msg = "required key is missing"
        else:
            msg = describe(err)
        raise SpecError(msg, file=source, key=key) from None


def _real_loc(raw, loc) -> list:
    """``loc`` without the names pydantic gives union members: only the document's own keys
    and indices are kept (and a missing or unknown key at the end)."""
    out, node = [], raw
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and part not in ("table", "value"):
            node = None  # a key that is missing or unknown: the last part
        else:
            continue  # a union member's name
        out.append(part)
    return out


def _model_at(loc: list, root: type[BaseModel]) -> type[BaseModel] | None:
    """The table model at ``loc`` inside ``root`` (for listing its known keys)."""
    ann: Any = root
    for part in loc:
        ann = _unwrap(ann)
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            field = ann.model_fields.get(str(part))
            if field is None:
                return None
            ann = field.annotation
        elif typing.get_origin(ann) is dict:
            ann = typing.get_args(ann)[1]
        else:
            return None
    ann = _unwrap(ann)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _unwrap(ann):
    """Through Annotated and unions, to a table model or a dict type where there is one."""
    origin = typing.get_origin(ann)
    if origin is Annotated:
        return _unwrap(typing.get_args(ann)[0])
    if origin is dict or (isinstance(ann, type) and issubclass(ann, BaseModel)):
        return ann
    for arg in typing.get_args(ann):
        inner = _unwrap(arg)
        if typing.get_origin(inner) is dict or (isinstance(inner, type)
                                                 and issubclass(inner, BaseModel)):
            return inner
    return ann


def json_schema() -> dict:
    """The JSON Schema of a spec file (the ``[training]`` table is left open here: each
    method's options have their own schema, :func:`pinnlab.options.json_schema`)."""
    return Document.model_json_schema()
