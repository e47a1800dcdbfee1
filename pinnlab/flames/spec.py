"""Flame case files (TOML) → validated :class:`FlameCase` objects.

A case file has the tables ``[case]`` (``kind`` = "detailed" | "counterflow",
``mode`` = "forward" | "inverse"), ``[flame]`` (inlet state and domain), optional
``[temperature_bounds]``, ``[unknowns.<name>]`` (``guess``), ``[training]`` (iteration counts,
read by the Case 2 and 3 benchmark scripts) and, for inverse problems, ``[observations]`` (``csv``,
a file relative to the case file, or ``n`` and ``noise`` to sample them from the reference).
Every error names the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError

KINDS = ("detailed", "counterflow")  # Case 1 ("simple") is a core-language spec now
MODES = ("forward", "inverse")
_TRAINING_RANGES = {"warmup": (0, 1e8, True), "adam": (0, 1e8, True), "lbfgs": (0, 1e8, True),
                    "lr": (1e-12, 10.0, False), "decay": (1e-6, 1.0, False),
                    "decay_every": (1, 1e8, True), "n_collocation": (3, 2**20, True),
                    "width": (1, 4096, True), "depth": (1, 64, True), "seed": (0, 2**62, True)}
_TRAINING_KEYS = tuple(_TRAINING_RANGES)


_KEYS = {"": ("case", "flame", "unknowns", "temperature_bounds", "training", "observations"),
         "case": ("kind", "mode"), "flame": None, "unknowns": None,
         "temperature_bounds": ("lower", "upper"), "training": None,
         "observations": ("csv", "n", "noise", "seed")}


@dataclass
class FlameCase:
    """A parsed case file; ``flame`` holds the raw ``[flame]`` table after type checks."""

    path: Path
    kind: str
    mode: str
    flame: dict[str, Any]
    unknowns: dict[str, float] = field(default_factory=dict)
    temperature_bounds: tuple[float, float] | None = None
    training: dict[str, float] = field(default_factory=dict)
    observations: dict[str, Any] = field(default_factory=dict)

    def resolve(self, relative: str) -> Path:
        """A path named in the case file, relative to the case file's folder."""
        return (self.path.parent / relative).resolve()


def _number(table: dict, key: str, file: str, where: str, positive: bool = True) -> float:
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SpecError(f"must be a finite number, got {value!r}", file=file, key=f"{where}.{key}")
    if positive and value <= 0:
        raise SpecError(f"must be positive, got {value!r}", file=file, key=f"{where}.{key}")
    return float(value)


def load_case(path: str | Path) -> FlameCase:
    """Read and validate a flame case file.

    Raises:
        SpecError: missing file, TOML syntax, unknown kind/mode/key, non-numeric values.
    """
    from ..spec.toml import read_toml

    path = Path(path)
    file = str(path)
    data = read_toml(path)
    for key, allowed in _KEYS.items():
        table = data if key == "" else data.get(key, {})
        if not isinstance(table, dict):
            raise SpecError("must be a table", file=file, key=key)
        extra = sorted(set(table) - set(allowed)) if allowed is not None else []
        if extra:
            raise SpecError(f"unknown key {extra[0]!r} (known: {', '.join(allowed)})",
                            file=file, key=f"{key}.{extra[0]}".lstrip("."))
    for name, table in data.get("unknowns", {}).items():
        if isinstance(table, dict) and set(table) - {"guess"}:
            raise SpecError("an unknown has only a 'guess'", file=file,
                            key=f"unknowns.{name}")
    case = data.get("case", {})
    kind = case.get("kind", "detailed")
    mode = case.get("mode", "forward")
    if kind not in KINDS:
        raise SpecError(f"unknown kind {kind!r}; expected one of {KINDS}", file=file,
                        key="case.kind")
    if mode not in MODES:
        raise SpecError(f"unknown mode {mode!r}; expected one of {MODES}", file=file,
                        key="case.mode")
    flame = data.get("flame")
    if not isinstance(flame, dict):
        raise SpecError("missing [flame] table", file=file, key="flame")
    for key, value in flame.items():
        if not isinstance(value, str | dict):
            _number(flame, key, file, "flame", positive=key not in ("grad_T0",))
    unknowns = {}
    for name, table in data.get("unknowns", {}).items():
        if not isinstance(table, dict) or "guess" not in table:
            raise SpecError("needs a 'guess'", file=file, key=f"unknowns.{name}")
        unknowns[name] = _number(table, "guess", file, f"unknowns.{name}", positive=False)
    bounds = None
    if "temperature_bounds" in data:
        tb = data["temperature_bounds"]
        lower = _number(tb, "lower", file, "temperature_bounds")
        upper = _number(tb, "upper", file, "temperature_bounds")
        if lower >= upper:
            raise SpecError(f"lower {lower} K must be below upper {upper} K", file=file,
                            key="temperature_bounds")
        bounds = (lower, upper)
    training = {}
    for key in data.get("training", {}):
        if key not in _TRAINING_KEYS:
            raise SpecError(f"unknown key; expected one of {_TRAINING_KEYS}", file=file,
                            key=f"training.{key}")
        value = _number(data["training"], key, file, "training", positive=False)
        lo, hi, whole = _TRAINING_RANGES[key]
        if not lo <= value <= hi or (whole and value != int(value)):
            raise SpecError(f"must be {'a whole number' if whole else 'a number'} from {lo:g} "
                            f"to {hi:g}", file=file, key=f"training.{key}")
        training[key] = value
    observations = data.get("observations", {})
    if mode == "inverse" and not observations:
        raise SpecError("an inverse case needs an [observations] table", file=file,
                        key="observations")
    checks = {"csv": (str, "a file name"), "n": (int, "a whole number from 1 to 10000"),
              "noise": ((int, float), "a number from 0 to 1"), "seed": (int, "a seed")}
    for key, value in observations.items():
        types, what = checks[key]
        ok = isinstance(value, types) and not isinstance(value, bool)
        if ok and key == "n":
            ok = 1 <= value <= 10000
        elif ok and key == "noise":
            ok = 0 <= value <= 1
        elif ok and key == "seed":
            ok = 0 <= value < 2**63
        if not ok:
            raise SpecError(f"must be {what}", file=file, key=f"observations.{key}")
    return FlameCase(path, kind, mode, flame, unknowns, bounds, training, observations)
