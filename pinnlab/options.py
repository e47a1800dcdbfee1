"""Typed method options: one schema per method, assembled from shared groups.

Every option a method reads is declared here with its type, range and default. The same
declaration validates the spec's ``[training]`` table, ``solve(..., **options)`` and
``--option KEY=VALUE``; ``pinnlab check`` runs it too, so a bad value is reported before any
training, as one line naming the file and the key (``training.width`` for a spec value,
``--option width`` for a command-line one) and the allowed values. The declarations also give
the JSON Schema of the ``[training]`` table (:func:`json_schema`).

Groups (a method's options class inherits those it uses and may change their defaults):

* :class:`Budget`: the optimizer phases, Adam then L-BFGS, and limits;
* :class:`Network`: the MLP (width, depth, activation, floating-point type).

Values from the command line are text; :func:`parse_cli_value` reads them as TOML values
(``3``, ``1e-3``, ``true``, ``{u = 2.0}``, ``["xpinn"]``), and keeps plain text for options whose
type is text. Validation is strict: ``width = 3.5``, ``hard_constraints = "maybe"`` or
``lr = "fast"`` are errors, never silently coerced.
"""

from __future__ import annotations

import typing
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import SpecError

Steps = Annotated[int, Field(ge=0, le=10**9)]
Count = Annotated[int, Field(ge=1, le=10**8)]
Points = Annotated[int, Field(ge=1, le=2**22)]
Every = Annotated[int, Field(ge=0, le=10**9)]
Positive = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]

#: options that set how long a run goes, not what it computes: a checkpoint stays valid when
#: they change (``--resume --steps 5000`` continues to the larger budget)
BUDGET_KEYS = frozenset({"adam_steps", "lbfgs_steps", "time_limit", "time_clock",
                         "checkpoint_every", "compile", "compile_mode", "stall_steps"})


class Options(BaseModel):
    """Base of every options class: unknown keys and loose types are errors."""

    model_config = ConfigDict(extra="forbid", strict=True, validate_default=False,
                              use_attribute_docstrings=True)

    def identity(self) -> dict:
        """The options that shape the model and the loss (for checkpoint identities)."""
        return {k: v for k, v in self.model_dump().items() if k not in BUDGET_KEYS}

    @classmethod
    def from_options(cls, options: dict, *, source: str = "<python>") -> Options:
        """The options from a plain ``{key: value}`` table, checked (:func:`build`)."""
        return build(cls, options, source=source)


class Budget(Options):
    """Adam (``adam_steps`` at ``lr``, multiplied by ``lr_decay`` every ``decay_every`` steps),
    then L-BFGS (``lbfgs_steps`` iterations, ``lbfgs_history`` curvature pairs, strong-Wolfe
    line search) or dense BFGS (``quasi_newton = "bfgs"``)."""

    adam_steps: Steps = 5000
    """Adam steps (0 skips Adam)."""
    optimizer: Literal["adam", "soap"] = "adam"
    """the first-order phase's optimizer: adam, or soap (Adam in the eigenbasis of a Shampoo
    preconditioner, Vyas et al. 2024; pytorch-optimizer's SOAP, no weight decay)."""
    lr: Positive = 1e-3
    """Adam's learning rate."""
    lr_decay: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.9
    """the learning rate is multiplied by this every ``decay_every`` steps."""
    decay_every: Count = 1000
    """steps per learning-rate decay."""
    lbfgs_steps: Steps = 5000
    """L-BFGS iterations after Adam (0 skips L-BFGS)."""
    lbfgs_history: Annotated[int, Field(ge=1, le=1000)] = 50
    """curvature pairs L-BFGS keeps."""
    quasi_newton: Literal["lbfgs", "bfgs", "ssbfgs", "lm"] = "lbfgs"
    """the phase after Adam (``lbfgs_steps`` iterations): lbfgs, bfgs (the full inverse
    Hessian, ``pinnlab.bfgs``; networks of at most 10 000 weights), ssbfgs (self-scaled
    BFGS, the same with Oren–Luenberger scaling) or lm (Levenberg–Marquardt, Gauss–Newton
    steps on the residuals, ``pinnlab.gauss_newton``; at most 10 000 weights, no causal
    weights)."""
    stall_steps: Every = 0
    """Adam steps without a 1% improvement of the loss that end the Adam phase (0: never)."""
    time_limit: NonNegative = 0.0
    """seconds of training after which every phase stops (0: no limit)."""
    time_clock: Literal["wall", "process"] = "wall"
    """the clock of ``time_limit``: wall time, or this process's CPU time."""
    checkpoint_every: Count = 1000
    """steps between checkpoints (``--resume`` continues from the last)."""

    def phases(self) -> list:
        """The optimizer phases; a phase with zero steps is left out."""
        from .train import Phase

        out = []
        if self.adam_steps > 0:
            out.append(Phase("adam", self.adam_steps, lr=self.lr, decay=self.lr_decay,
                             decay_every=self.decay_every, stall=self.stall_steps,
                             optimizer=self.optimizer))
        if self.lbfgs_steps > 0:
            out.append(Phase(self.quasi_newton, self.lbfgs_steps, history=self.lbfgs_history))
        return out


class Network(Options):
    """A tanh (or sin, sigmoid) MLP of ``depth`` hidden layers of ``width`` units."""

    width: Annotated[int, Field(ge=1, le=4096)] = 64
    """hidden units per layer."""
    depth: Annotated[int, Field(ge=1, le=64)] = 4
    """hidden layers."""
    activation: Literal["tanh", "sin", "sigmoid"] = "tanh"
    """the activation function."""
    dtype: Literal["float32", "float64"] = "float64"
    """floating-point type of the whole computation."""
    input_range: Annotated[list[Annotated[float, Field(allow_inf_nan=False, ge=-1e3, le=1e3)]],
                           Field(min_length=2, max_length=2)] = Field(
        default_factory=lambda: [-1.0, 1.0])
    """``[a, b]``: each coordinate enters the network mapped from its range onto it."""
    architecture: Literal["mlp", "piratenet"] = "mlp"
    """``mlp``, or ``piratenet``: gated residual blocks (three layers each, ``depth`` of them)
    whose weights start at 0; use with ``fourier`` features."""
    weight_factorization: bool = False
    """random weight factorisation ``W = diag(exp(s)) V`` of every layer (``s ~ N(1, 0.1²)``)."""

    @field_validator("input_range")
    @classmethod
    def _increasing(cls, v):
        if not v[0] < v[1]:
            raise ValueError("input_range is [a, b] with a < b")
        return v


def parse_cli_value(cls: type[Options], key: str, text: str):
    """A ``--option KEY=VALUE`` text as the value the option's type expects."""
    from .spec.toml import parse_value

    field = cls.model_fields.get(key)
    if field is not None and _is_text(field.annotation):
        return text
    return parse_value(text)


def _is_text(annotation) -> bool:
    if annotation is str:
        return True
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return all(isinstance(a, str) for a in typing.get_args(annotation))
    if origin is Annotated:
        return _is_text(typing.get_args(annotation)[0])
    return False


def scoped(training: dict, method: str, cls: type[Options], known: dict[str, type[Options]],
           *, source: str = "<python>") -> tuple[dict, dict[str, str]]:
    """The options of ``method`` in a spec's ``[training]`` table, and the dotted key of each.

    Shared keys (``[training] width = 32``) apply to every method that has them; a sub-table
    ``[training.<method>]`` holds one method's own options and wins. A shared key that no
    registered method (``known``: name -> options class) has is an error, so a typo is never
    silently ignored; a sub-table is validated whole by its method when that method runs.
    """
    options, keys = {}, {}
    for k, v in (training or {}).items():
        if k in known:
            if not isinstance(v, dict):
                raise SpecError(f"[training.{k}] holds the options of method {k!r}; it is a "
                                "table", file=source, key=f"training.{k}")
            continue
        if k in cls.model_fields:
            options[k], keys[k] = v, f"training.{k}"
        elif not any(k in c.model_fields for c in known.values()):
            names = sorted({n for c in known.values() for n in c.model_fields})
            raise SpecError(f"unknown option {k!r} (known: {', '.join(names)})", file=source,
                            key=f"training.{k}")
    for k, v in (training or {}).get(method, {}).items():
        options[k], keys[k] = v, f"training.{method}.{k}"
    return options, keys


def build(cls: type[Options], spec_options: dict, overrides: dict | None = None, *,
          source: str = "<python>", override_key: str = "options",
          spec_keys: dict[str, str] | None = None) -> Options:
    """Validate ``spec_options`` (from the spec's ``[training]`` table) and ``overrides``
    (Python keyword options or ``--option`` values, which win) into ``cls``.

    Errors name ``source`` and the option's key in the spec (``spec_keys``, default
    ``training.KEY``) for a spec value, ``{override_key} KEY`` for an override
    (``--option width``), with the allowed values.
    """
    spec_options, overrides = dict(spec_options or {}), dict(overrides or {})
    spec_keys = spec_keys or {}
    merged = {**spec_options, **overrides}
    merged = {k: _plain(v) for k, v in merged.items()}
    try:
        return cls(**merged)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        top = loc[0] if loc else ""
        if top in overrides:
            file, key = None, f"{override_key} {'.'.join(loc)}".strip()
        else:
            file, key = source, ".".join([spec_keys.get(top, f"training.{top}"), *loc[1:]])
        raise SpecError(describe(err, cls, top), file=file, key=key) from None


def _plain(v):
    """numpy scalars (a common Python-API input) as Python numbers."""
    item = getattr(v, "item", None)
    if item is not None and getattr(v, "shape", None) == ():
        return item()
    return v


def describe(err: dict, cls: type[BaseModel] | None = None, key: str = "") -> str:
    """One readable sentence for one pydantic error."""
    kind, ctx, given = err["type"], err.get("ctx") or {}, err.get("input")
    got = f", got {_show(given)}" if kind not in ("missing",) else ""
    if kind in ("extra_forbidden", "unexpected_keyword_argument"):
        known = ", ".join(sorted(cls.model_fields)) if cls is not None else ""
        return f"unknown option {key!r}" + (f" (known: {known})" if known else "")
    if kind == "missing":
        return "missing"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}{got}"
    if kind in ("int_type", "int_from_float", "int_parsing"):
        return f"must be a whole number{got}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number{got}"
    if kind == "finite_number":
        return f"must be a finite number{got}"
    if kind in ("bool_type", "bool_parsing"):
        return f"must be true or false{got}"
    if kind in ("string_type",):
        return f"must be text{got}"
    if kind in ("dict_type", "model_type", "dataclass_type"):
        return f"must be a table{got}"
    if kind in ("list_type", "tuple_type"):
        return f"must be a list{got}"
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<",
              "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()), "")
        return f"must be {bounds[kind]} {limit}{got}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return f"{err['msg'][0].lower()}{err['msg'][1:]}{got}"


def _show(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


def json_schema(cls: type[Options]) -> dict:
    """The JSON Schema of a method's options (the spec's ``[training]`` table)."""
    return cls.model_json_schema()
