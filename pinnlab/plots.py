"""Figures of a :class:`~pinnlab.result.Result`: loss history and solution/reference/error."""

from __future__ import annotations

import os

import numpy as np


def pyplot():
    """matplotlib's pyplot on the file-only Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def write(fig, path: str, dpi: int = 120) -> str:
    """Lay ``fig`` out, save it to ``path`` (atomically: :func:`pinnlab.io.save_figure`) and
    close it; returns ``path``."""
    from .io import save_figure

    fig.tight_layout()
    save_figure(fig, path, dpi=dpi)
    pyplot().close(fig)
    return path


def result_figures(result, out: str | None = None) -> list[str]:
    from .io import save_figure

    plt = pyplot()
    written = []
    figs = [("loss.png", loss_figure(result, plt)), ("solution.png", solution_figure(result, plt)),
            ("parameters.png", parameter_figure(result, plt)),
            ("corner.png", corner_figure(result, plt))]
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
    """Per field: the prediction, the reference and the error (with a reference), and the
    posterior standard deviation on its own grid (methods that return posterior samples)."""
    pb = result.problem
    ref = result.reference
    grid = ref.axes if ref is not None else {c: np.linspace(lo, hi, 101)
                                             for c, (lo, hi) in pb.domain.items()}
    mesh = dict(zip(grid, np.meshgrid(*grid.values(), indexing="ij")))
    pred = result.predict(mesh)
    post = result.posterior
    post_grid = {c: post[c] for c in pb.coords if c in post} if post else {}
    ncol = (3 if ref is not None else 1) + (1 if post else 0)
    fig, axes = plt.subplots(len(pb.fields), ncol, figsize=(4.2 * ncol, 3.2 * len(pb.fields)),
                             squeeze=False)
    for row, f in enumerate(pb.fields):
        panels = [(f"{f} ({result.method})", pred[f], grid, "RdBu_r")]
        if ref is not None:
            panels += [(f"{f} reference", ref.fields[f], grid, "RdBu_r"),
                       (f"|error| (rel L2 {result.metrics.get('rel_l2_fields', {}).get(f, 0):.2e})",
                        np.abs(pred[f] - ref.fields[f]), grid, "magma")]
        if post:
            panels.append((f"{f} posterior sd ({len(post[f + '_samples'])} samples)",
                           post[f"{f}_std"], post_grid, "magma"))
        for col, (title, data, axes_of, cmap) in enumerate(panels):
            ax, coords = axes[row, col], list(axes_of)
            if len(coords) == 1:
                ax.plot(axes_of[coords[0]], data)
                ax.set_xlabel(coords[0])
            else:
                # first two coordinates; further ones at their middle slice
                sl = tuple(slice(None) if i < 2 else data.shape[i] // 2
                           for i in range(data.ndim))
                im = ax.pcolormesh(axes_of[coords[1]], axes_of[coords[0]], data[sl],
                                   shading="auto", cmap=cmap)
                fig.colorbar(im, ax=ax)
                ax.set_xlabel(coords[1])
                ax.set_ylabel(coords[0])
            ax.set_title(title, fontsize=9)
        _observations(pb, f, list(grid), axes[row, 0])
    fig.tight_layout()
    return fig


def _observations(pb, f: str, coords: list[str], ax) -> None:
    """The points where ``f`` is observed on its prediction panel: their locations (2-D and
    more, in the first two coordinates) or, in 1-D, the observed values."""
    obs = pb.observations
    if (obs is None or not len(obs) or f not in obs.values
            or not all(c in obs.coords for c in coords[:2])):
        return
    seen = np.isfinite(np.asarray(obs.values[f], float))
    if not seen.any():
        return
    style = dict(s=9, c="k", marker="x", linewidths=0.8, label="observations", zorder=3)
    if len(coords) > 1:
        ax.scatter(obs.coords[coords[1]][seen], obs.coords[coords[0]][seen], **style)
    else:
        ax.scatter(obs.coords[coords[0]][seen], obs.values[f][seen], **style)
    ax.legend(fontsize=7, loc="upper right")


def parameter_figure(result, plt):
    """The estimates of the unknown parameters along training, the true value (when the spec
    or the reference gives one) as a dashed line, the final 95% interval (when the run has
    one, :mod:`pinnlab.uncertainty`) as a band; ``None`` without unknown parameters."""
    names = [k for k in result.problem.unknowns if any(k in h for h in result.history)]
    if not names:
        return None
    ref = result.problem.reference
    truth = {**(ref.options if ref is not None else {}), **result.metrics.get("params_true", {})}
    fig, axes = plt.subplots(len(names), 1, figsize=(6, 2.4 * len(names)), squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        rows = [h for h in result.history if isinstance(h.get(name), float)]
        ax.plot([h["step"] for h in rows], [h[name] for h in rows], label="estimate")
        true = truth.get(name)
        values = [h[name] for h in rows]
        if isinstance(true, (int, float)) and not isinstance(true, bool):
            ax.axhline(float(true), color="k", ls="--", lw=1, label=f"true {float(true):.4g}")
            values.append(float(true))
        band = result.metrics.get("uncertainty", {}).get("interval", {}).get(name)
        if band:
            ax.axhspan(*band, color="C0", alpha=0.2, label="95% interval")
        if values and min(values) > 0 and max(values) > 10 * min(values):
            ax.set_yscale("log")  # e.g. a viscosity found over decades
        ax.set_ylabel(name)
        ax.legend(fontsize=7)
    axes[-1, 0].set_xlabel("step")
    axes[0, 0].set_title(f"{result.problem.name} — unknown parameters ({result.method})")
    fig.tight_layout()
    return fig


def corner_figure(result, plt):
    """Pairs of unknown parameters: the 95% ellipse of the Laplace covariance around the
    estimate, the ensemble's members when the run has them, and the true values; ``None``
    without two unknowns with intervals."""
    unc = result.metrics.get("uncertainty", {})
    std, corr = unc.get("std", {}), unc.get("correlation", {})
    names = [k for k in std if k in corr]
    if len(names) < 2:
        return None
    est = result.metrics["params"]
    truth = result.metrics.get("params_true", {})
    members = unc.get("ensemble", {}).get("members", [])
    n = len(names)
    fig, axes = plt.subplots(n - 1, n - 1, figsize=(2.8 * (n - 1), 2.8 * (n - 1)), squeeze=False)
    angle = np.linspace(0, 2 * np.pi, 200)
    circle = np.stack([np.cos(angle), np.sin(angle)]) * np.sqrt(5.991)  # chi2(2) at 95%
    for i in range(1, n):
        for j in range(n - 1):
            ax = axes[i - 1, j]
            if j >= i:
                ax.axis("off")
                continue
            a, b = names[j], names[i]
            cov = np.array([[std[a] ** 2, corr[a][b] * std[a] * std[b]],
                            [corr[a][b] * std[a] * std[b], std[b] ** 2]])
            w, v = np.linalg.eigh(cov)
            pts = v @ (np.sqrt(np.clip(w, 0, None))[:, None] * circle)
            ax.plot(est[a] + pts[0], est[b] + pts[1], "C0")
            ax.plot(est[a], est[b], "C0o", ms=4, label="estimate")
            if members:
                ax.plot([m[a] for m in members], [m[b] for m in members], "C1.", ms=5,
                        label="ensemble members")
            if a in truth and b in truth:
                ax.plot(truth[a], truth[b], "k*", ms=8, label="true")
            ax.set_xlabel(a)
            ax.set_ylabel(b)
            ax.set_title(f"ρ = {corr[a][b]:+.2f}", fontsize=8)
    axes[0, 0].legend(fontsize=7)
    extra = f"; dots: {len(members)} ensemble members" if members else ""
    fig.suptitle(f"{result.problem.name}: 95% regions (Laplace){extra}", fontsize=9)
    fig.tight_layout()
    return fig
