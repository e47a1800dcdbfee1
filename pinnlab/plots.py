"""Figures of a :class:`~pinnlab.result.Result`: loss history and solution/reference/error."""

from __future__ import annotations

import os

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def result_figures(result, out: str | None = None) -> list[str]:
    from .io import save_figure

    plt = _plt()
    written = []
    figs = [("loss.png", loss_figure(result, plt)), ("solution.png", solution_figure(result, plt))]
    for name, fig in figs:
        if fig is None:
            continue
        if out is not None:
            path = os.path.join(out, name)
            save_figure(fig, path, dpi=110, bbox_inches="tight")
            written.append(path)
        plt.close(fig)
    return written


def loss_figure(result, plt):
    hist = result.history
    if not hist:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.6))
    skip = {"step", "phase", "wall_s", *result.problem.parameters}
    keys = list(dict.fromkeys(k for h in hist for k in h))
    for key in keys:
        rows = [h for h in hist if isinstance(h.get(key), float)]
        if key in skip or not rows:
            continue
        ax.semilogy([h["step"] for h in rows], [max(h[key], 1e-300) for h in rows], label=key,
                    lw=2 if key == "loss" else 1)
    switch = [h["step"] for a, h in zip(hist, hist[1:]) if a["phase"] != h["phase"]]
    for s in switch:
        ax.axvline(s, color="gray", ls=":", lw=1)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(f"{result.problem.name} — {result.method}")
    ax.legend(fontsize=7)
    return fig


def solution_figure(result, plt):
    pb = result.problem
    ref = result.reference
    grid = ref.axes if ref is not None else {c: np.linspace(lo, hi, 101)
                                             for c, (lo, hi) in pb.domain.items()}
    mesh = dict(zip(grid, np.meshgrid(*grid.values(), indexing="ij")))
    pred = result.predict(mesh)
    coords = list(grid)
    ncol = 3 if ref is not None else 1
    fig, axes = plt.subplots(len(pb.fields), ncol, figsize=(4.2 * ncol, 3.2 * len(pb.fields)),
                             squeeze=False)
    for row, f in enumerate(pb.fields):
        panels = [(f"{f} ({result.method})", pred[f])]
        if ref is not None:
            panels += [(f"{f} reference", ref.fields[f]),
                       (f"|error| (rel L2 {result.metrics.get('rel_l2_fields', {}).get(f, 0):.2e})",
                        np.abs(pred[f] - ref.fields[f]))]
        for col, (title, data) in enumerate(panels):
            ax = axes[row, col]
            if len(coords) == 1:
                ax.plot(grid[coords[0]], data)
                ax.set_xlabel(coords[0])
            else:
                # first two coordinates; further ones at their middle slice
                sl = tuple(slice(None) if i < 2 else data.shape[i] // 2
                           for i in range(data.ndim))
                im = ax.pcolormesh(grid[coords[1]], grid[coords[0]], data[sl], shading="auto",
                                   cmap="magma" if col == 2 else "RdBu_r")
                fig.colorbar(im, ax=ax)
                ax.set_xlabel(coords[1])
                ax.set_ylabel(coords[0])
            ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig
