"""Flame case files (TOML) → validated :class:`FlameCase` objects.

A case file has the tables ``[case]`` (``kind`` = "simple" | "detailed" | "counterflow",
``mode`` = "forward" | "inverse"), ``[flame]`` (inlet state and domain), optional
``[temperature_bounds]``, ``[unknowns.<name>]`` (``guess``), ``[training]`` (iteration counts,
see :class:`pinnlab.flames.case1.Budget`) and, for inverse problems, ``[observations]`` (``csv``,
a file relative to the case file, or ``n`` and ``noise`` to sample them from the reference).
Every error names the file and the key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import SpecError

KINDS = ("simple", "detailed", "counterflow")
MODES = ("forward", "inverse")
_TRAINING_KEYS = ("warmup", "adam", "lbfgs", "lr", "decay", "decay_every", "n_collocation",
                  "width", "depth", "seed")


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
    case = data.get("case", {})
    kind = case.get("kind", "simple")
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
        training[key] = _number(data["training"], key, file, "training", positive=False)
    observations = data.get("observations", {})
    if mode == "inverse" and not observations:
        raise SpecError("an inverse case needs an [observations] table", file=file,
                        key="observations")
    return FlameCase(path, kind, mode, flame, unknowns, bounds, training, observations)
