"""Sparse measurements onto a prior's grid.

Point measurements (coordinates and values by name, as a spec's ``[observations]`` holds them,
read and checked by the spec loader) are snapped to the nearest grid node: a point outside the
grid's box (beyond half a cell), a NaN coordinate or no measured value at all is a
:class:`~pinnlab.errors.DataError`.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from .guidance import Observations


def points_to_observations(points: dict[str, np.ndarray], values: dict[str, np.ndarray],
                           coords: dict[str, np.ndarray], channels: list[str],
                           source: str | None = None) -> Observations:
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
        observed = ~np.isnan(v)
        if np.isinf(v).any():
            raise DataError(f"column {name!r} contains infinite values", file=source, key=name)
        for k in np.flatnonzero(observed):
            idx = (ch, *[ix[k] for ix in index])
            mask[idx] = True
            grid_values[idx] = v[k]
        found = found or observed.any()
    if not found:
        raise DataError(f"no observed values in columns {channels}", file=source)
    return Observations(mask, grid_values)
