"""Sparse measurements from a CSV file onto a prior's grid.

The CSV has one column per grid axis (named as in the dataset, e.g. ``t`` and ``x``) and one column
per
observed field channel (``u``; Darcy: ``a`` and/or ``u``). Each row is snapped to the nearest grid
node;
a point outside the grid's domain (beyond half a cell), a NaN, or a file without rows is a
:class:`~pinnlab.errors.DataError`.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..errors import DataError
from .guidance import Observations


def points_to_observations(points: dict[str, np.ndarray], values: dict[str, np.ndarray],
                           coords: dict[str, np.ndarray], channels: list[str],
                           noise_std: float = 0.0, source: str | None = None) -> Observations:
    """Snap measured ``values[channel][k]`` at ``points[axis][k]`` onto the grid ``coords``."""
    shape = tuple(len(c) for c in coords.values())
    mask = np.zeros((len(channels), *shape), bool)
    grid_values = np.zeros((len(channels), *shape))
    n = len(next(iter(points.values()))) if points else 0
    if n == 0:
        raise DataError("no measurements", file=source)
    index = []
    for axis, c in coords.items():
        if axis not in points:
            raise DataError(f"missing coordinate column {axis!r}", file=source, key=axis)
        p = np.asarray(points[axis], float)
        if not np.isfinite(p).all():
            raise DataError(f"coordinate column {axis!r} contains NaN", file=source, key=axis)
        half = 0.5 * abs(c[1] - c[0])
        if (p < c.min() - half).any() or (p > c.max() + half).any():
            bad = p[(p < c.min() - half) | (p > c.max() + half)][0]
            raise DataError(f"measurement at {axis} = {bad} is outside the grid's domain "
                            f"[{c.min()}, {c.max()}]", file=source, key=axis)
        index.append(np.abs(p[:, None] - c[None, :]).argmin(1))
    found = False
    for ch, name in enumerate(channels):
        if name not in values:
            continue
        v = np.asarray(values[name], float)
        observed = ~np.isnan(v) if name in values else np.zeros(n, bool)
        if np.isinf(v).any():
            raise DataError(f"column {name!r} contains infinite values", file=source, key=name)
        for k in np.flatnonzero(observed):
            idx = (ch, *[ix[k] for ix in index])
            mask[idx] = True
            grid_values[idx] = v[k]
        found = found or observed.any()
    if not found:
        raise DataError(f"no observed values in columns {channels}", file=source)
    return Observations(mask, grid_values, noise_std)


def read_measurements(path: str | Path, coords: dict[str, np.ndarray], channels: list[str],
                      noise_std: float = 0.0) -> Observations:
    """Read a CSV of measurements (see module docstring). A NaN in a value column is an error."""
    import io

    from ..io import read_text

    text = read_text(str(path), limit=64 * 2**20, file=str(path), key="--measurements")
    try:
        rows = list(csv.DictReader(io.StringIO(text, newline="")))
    except csv.Error:
        raise DataError("not a readable CSV file", file=str(path)) from None
    if not rows:
        raise DataError("no measurements", file=str(path))
    cols = {k.strip(): k for k in rows[0] if isinstance(k, str)}
    missing = [a for a in coords if a not in cols]
    if missing:
        raise DataError(f"missing coordinate column(s) {missing}", file=str(path))

    def column(name):
        try:
            return np.array([float(r[cols[name]]) for r in rows])
        except (TypeError, ValueError, KeyError):
            raise DataError(f"column {name!r} has a non-numeric entry", file=str(path),
                            key=name) from None

    points = {a: column(a) for a in coords}
    values = {c: column(c) for c in channels if c in cols}
    for name, v in values.items():
        if np.isnan(v).any():
            raise DataError(f"column {name!r} contains NaN", file=str(path), key=name)
    return points_to_observations(points, values, coords, channels, noise_std, str(path))
