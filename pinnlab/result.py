"""What every method returns: :class:`Result` — predict, metrics, plots, files."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from .errors import DataError
from .io import atomic_json, atomic_npz
from .reference import ReferenceSolution, reference_solution
from .spec.problem import Problem


def relative_l2(pred: np.ndarray, ref: np.ndarray) -> float:
    """``‖pred − ref‖₂ / ‖ref‖₂`` over all points (PINNacle's L2RE)."""
    return float(np.linalg.norm(pred - ref) / max(np.linalg.norm(ref), 1e-300))


@dataclass
class Result:
    """A trained solution.

    Attributes:
        problem: the solved problem.
        method: method name (``pinn``, ``lpinn``, ...).
        fn: ``fn(points (N, d) tensor) -> (N, F) tensor`` in the problem's field order.
        metrics: numbers for ``metrics.json`` (``rel_l2``, ``params``, ``wall_s``, ...).
        history: the loss history rows (``step``, ``loss``, each term, parameter estimates).
        posterior: methods that draw posterior samples of the fields on a grid (``prior``):
            the grid's nodes by coordinate name, ``<field>_samples`` ``(S, *grid)`` and
            ``<field>_std`` ``(*grid)``; saved as ``posterior.npz``.
    """

    problem: Problem
    method: str
    fn: Callable[[torch.Tensor], torch.Tensor]
    metrics: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    dtype: torch.dtype = torch.float64
    device: str = "cpu"
    module: torch.nn.Module | None = None
    reference: ReferenceSolution | None = None
    posterior: dict[str, np.ndarray] | None = None

    def predict(self, points: Mapping[str, np.ndarray] | np.ndarray,
                definitions: tuple[str, ...] = ()) -> dict[str, np.ndarray]:
        """Fields at ``points``: a mapping ``{coordinate: array}`` (arrays broadcast; the
        result has their shape) or an array ``(N, d)`` in coordinate order. ``definitions``
        names derived quantities of the spec (``[definitions]``) to evaluate there too, with
        the estimated parameters (methods whose model gives field jets)."""
        pb = self.problem
        if isinstance(points, Mapping):
            missing = [c for c in pb.coords if c not in points]
            if missing:
                raise DataError(f"points lack coordinate(s) {missing}", key="predict")
            arrays = np.broadcast_arrays(*[np.asarray(points[c], float) for c in pb.coords])
            shape = arrays[0].shape
            flat = np.stack([a.ravel() for a in arrays], 1)
        else:
            flat = np.asarray(points, float)
            if flat.ndim != 2 or flat.shape[1] != len(pb.coords):
                raise DataError(f"points must have shape (N, {len(pb.coords)})", key="predict")
            shape = flat.shape[:1]
        if not np.all(np.isfinite(flat)):
            raise DataError("points contain NaN or inf", key="predict")
        outs = []
        with torch.no_grad():
            for i in range(0, len(flat), 65536):
                x = torch.as_tensor(flat[i:i + 65536], dtype=self.dtype, device=self.device)
                outs.append(self.fn(x).detach().cpu().numpy())
        out = np.concatenate(outs) if outs else np.zeros((0, len(pb.fields)))
        result = {f: out[:, i].reshape(shape) for i, f in enumerate(pb.fields)}
        for name in definitions:
            result[name] = self._definition(name, flat).reshape(shape)
        return result

    def _definition(self, name: str, flat: np.ndarray) -> np.ndarray:
        from .jet import JetBasis
        from .losses import environment

        expr = self.problem.compiled_definitions().get(name)
        model = self.module
        if expr is None or not hasattr(model, "fields_jet"):
            raise DataError(f"{name!r} is not a definition this result can evaluate",
                            key="predict")
        dim = len(self.problem.coords)
        loss = max((f.order_loss for f in self.problem.functions.values()), default=0)
        basis = JetBasis(dim, [s.index for s in expr.derivatives]  # plug-ins' fluxes need more
                         + [(i,) * loss for i in range(dim) if loss])
        params = model.params.values()
        with torch.no_grad():
            x = torch.as_tensor(flat, dtype=self.dtype, device=self.device)
            env = environment(self.problem, x, model.fields_jet(x, basis, params), params)
            value = torch.as_tensor(expr.evaluate(env), dtype=self.dtype)
        return np.broadcast_to(value.cpu().numpy(), (len(flat),)).copy()

    # ---- evaluation -----------------------------------------------------------------------
    def evaluate(self) -> dict:
        """Relative L2 error per field against the reference, on the reference grid."""
        if self.reference is None:
            self.reference = reference_solution(self.problem)
        if self.reference is None:
            return {}
        pred = self.predict(self.reference.mesh())
        per = {f: relative_l2(pred[f], self.reference.fields[f]) for f in self.problem.fields}
        allp = np.concatenate([pred[f].ravel() for f in per])
        allr = np.concatenate([self.reference.fields[f].ravel() for f in per])
        out = {"rel_l2": relative_l2(allp, allr), "rel_l2_fields": per,
               "grid": {c: len(a) for c, a in self.reference.axes.items()}}
        truth = {k: v for k, v in {**self.problem.reference.options,
                                   **self.reference.params}.items()
                 if k in self.metrics.get("params", {})}
        if truth:
            out["params_true"] = truth
            out["params_rel_error"] = {k: abs(self.metrics["params"][k] - v) / abs(v)
                                       for k, v in truth.items()}
        self.metrics.update(out)
        return out

    # ---- output ---------------------------------------------------------------------------
    def save(self, out: str) -> list[str]:
        """Write ``metrics.json``, ``history.csv``, ``solution.npz``, ``loss.png``,
        ``solution.png`` and, with unknown parameters, ``parameters.png`` into ``out``
        (and ``posterior.npz`` with posterior samples)."""
        from .rundir import write_history

        os.makedirs(out, exist_ok=True)
        written = [os.path.join(out, "metrics.json"), os.path.join(out, "history.csv")]
        atomic_json(written[0], self.metrics)
        write_history(written[1], self.history)
        grid = self.reference.axes if self.reference is not None else {
            c: np.linspace(lo, hi, 101) for c, (lo, hi) in self.problem.domain.items()}
        mesh = dict(zip(grid, np.meshgrid(*grid.values(), indexing="ij")))
        pred = self.predict(mesh)
        arrays = {**{c: a for c, a in grid.items()}, **pred}
        if self.reference is not None:
            arrays.update({f"{f}_reference": v for f, v in self.reference.fields.items()})
        path = os.path.join(out, "solution.npz")
        atomic_npz(path, **arrays)
        written.append(path)
        if self.posterior:
            written.append(os.path.join(out, "posterior.npz"))
            atomic_npz(written[-1], **self.posterior)
        written += self.plot(out)
        return written

    def plot(self, out: str | None = None) -> list[str]:
        """Loss history, solution/error and parameter-trajectory figures (PNG files when
        ``out`` is given)."""
        from . import plots

        return plots.result_figures(self, out)

    @classmethod
    def load(cls, folder: str | os.PathLike) -> Result:
        """The result a finished solve saved in ``folder`` (see
        :func:`pinnlab.rundir.load_result`)."""
        from .rundir import load_result

        return load_result(folder)
