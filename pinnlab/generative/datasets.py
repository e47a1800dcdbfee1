"""PDE solution-field families for training generative priors, drawn from a spec.

:func:`family_dataset` reads a spec's ``[family]`` and ``[reference]`` (the one spec language,
``docs/spec.md``): each of ``n`` members draws its parameters (uniform or log-uniform in their
ranges) and random functions (a sine series, a Gaussian random field) that replace definitions,
and the spec's reference solver computes its fields on the reference grid. The bundled families
(``problems/generative/``): ``heat`` (u_t = kappa u_xx, random sine-series initial state,
:func:`~pinnlab.reference.diffusion.heat_sine`), ``burgers`` (log-uniform viscosity,
Cole-Hopf), ``burgers_ic`` (nu = 0.01, random sine-series initial state, Cole-Hopf), ``darcy``
(-div(a grad u) = 1 with a log-normal coefficient field,
:func:`~pinnlab.reference.diffusion.darcy_fd`; joint fields [a, u]), ``darcy_binary`` (a in
{3, 12}), ``poisson`` and ``helmholtz`` (Gaussian random sources; joint fields [f, u]).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DataError, SpecError


@dataclass
class FieldDataset:
    """fields (n, channels, *grid); params (n, p) named by ``param_names``; coords by axis name."""

    fields: np.ndarray
    params: np.ndarray
    param_names: list[str]
    coords: dict[str, np.ndarray]
    family: str
    meta: dict = field(default_factory=dict)

    def save(self, path: str | Path) -> None:
        from ..io import atomic_npz

        atomic_npz(path, compressed=True, fields=self.fields, params=self.params,
                   param_names=np.array(self.param_names), family=self.family,
                   axes=np.array(list(self.coords)),
                   **{f"coord_{k}": v for k, v in self.coords.items()})

    @classmethod
    def load(cls, path: str | Path, key: str = "--data") -> FieldDataset:
        from ..spec.toml import read_npz

        z = read_npz(str(path), file=str(path), key=key)
        try:
            axes = [str(a) for a in z["axes"]]
            ds = cls(z["fields"], z["params"], [str(p) for p in z["param_names"]],
                     {a: z[f"coord_{a}"] for a in axes}, str(z["family"]))
        except (KeyError, TypeError, ValueError):
            raise DataError("not a field dataset written by 'pinnlab prior data'",
                            file=str(path), key=key) from None
        if ds.fields.ndim < 3 or not np.issubdtype(ds.fields.dtype, np.floating):
            raise DataError("fields must be a float array (n, channels, *grid)",
                            file=str(path), key=key)
        return ds


FAMILIES = ("heat", "burgers", "burgers_ic", "darcy", "darcy_binary", "poisson",
            "helmholtz")
"""The bundled family specs, ``problems/generative/<name>.toml``."""

MAX_NODES = 4096  # the largest space grid of a gaussian_field (its covariance is dense)


def bundled_spec(name: str) -> Path:
    """The path of a bundled family spec (a name in :data:`FAMILIES`)."""
    return Path(__file__).resolve().parents[2] / "problems" / "generative" / f"{name}.toml"


def family_dataset(spec, n: int, *, seed: int, grid: dict[str, int] | None = None
                   ) -> FieldDataset:
    """``n`` members of the family of ``spec`` (a :class:`~pinnlab.spec.problem.Problem`, a
    spec path, or a bundled name in :data:`FAMILIES`), solved by its reference solver.

    One ``numpy`` generator seeded with ``seed`` draws, for all members at once and in this
    order: the ``[family]`` parameters in their order (``rng.uniform(low, high, n)``, or its
    exponential in the logs for ``log_uniform``), then the random functions in order
    (``standard_normal((n, modes))`` for a sine series, ``standard_normal((n, nodes))`` for a
    Gaussian field). The grid is the reference's (``[reference] grid``, 101 points per
    coordinate unless given; ``grid`` overrides sizes), time first.

    Returns:
        ``fields`` (n, channels, *grid) float32: the random functions first when the problem
        is steady (functions of every coordinate: Darcy's ``a``), then the spec's fields;
        ``params`` (n, p) float64 named by the ``[family]`` parameters; ``coords`` by name.
    """
    from ..reference import reference_solution

    problem = _problem(spec)
    if problem.reference is None or problem.reference.solver is None:
        raise SpecError("a family dataset needs a [reference] solver", file=problem.source,
                        key="reference")
    if not problem.family and not problem.family_draws:
        raise SpecError("no [family]: every member would be the spec's own", file=problem.source,
                        key="family")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise DataError("n must be a positive integer", key="n")
    sizes = {**problem.reference.grid, **(grid or {})}
    for c, m in sizes.items():
        if c not in problem.domain or isinstance(m, bool) or not isinstance(m, int) or m < 2:
            raise DataError(f"grid: {c!r} must be a coordinate with an integer size >= 2",
                            key="grid")
    axes = {c: np.linspace(lo, hi, sizes.get(c, 101)) for c, (lo, hi) in problem.domain.items()}
    rng = np.random.default_rng(seed)
    params = {}
    for k, (lo, hi) in problem.family.items():
        if k in problem.family_draws:  # log_uniform
            params[k] = np.exp(rng.uniform(np.log(lo), np.log(hi), n))
        else:
            params[k] = rng.uniform(lo, hi, n)
    space = {c: axes[c] for c in problem.space}
    draws = {k: _draw(rng, k, d, n, space, problem) for k, d in problem.family_draws.items()
             if d.kind != "log_uniform"}
    order = [problem.coords.index(c) for c in ([problem.time] if problem.time else [])
             + problem.space]
    out = []
    for i in range(n):
        member = _member(problem, {k: v[i] for k, v in params.items()},
                         {k: fns[i] for k, (fns, _) in draws.items()})
        sol = reference_solution(member, grid=sizes)
        inputs = [v[i] for _, v in draws.values()] if problem.time is None else []
        out.append(np.stack(inputs + [sol.fields[f] for f in problem.fields]))
    fields = np.stack(out).transpose(0, 1, *(2 + np.array(order, int)))
    names = list(params)
    return FieldDataset(fields.astype(np.float32),
                        np.stack([params[k] for k in names], 1) if names else np.zeros((n, 0)),
                        names, {problem.coords[j]: axes[problem.coords[j]] for j in order},
                        problem.name, {"spec": problem.source, "seed": seed})


def _problem(spec):
    from ..spec.problem import Problem

    if isinstance(spec, Problem):
        return spec
    from ..api import load

    return load(bundled_spec(spec) if spec in FAMILIES else spec)


def squared_exponential(axes: list[np.ndarray], length_scale: float,
                        std: float = 1.0) -> np.ndarray:
    """The covariance of a ``gaussian_field`` over the nodes of the grid of ``axes`` (row-major,
    n nodes): ``K_pq = std^2 (exp(-|p - q|^2 / (2 l^2)) + 1e-6 [p = q])``, shape (n, n), built
    in blocks of rows (no (n, n, dim) temporary: 2 GB at 128 x 128)."""
    pts = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], 1)
    k = np.empty((len(pts), len(pts)))
    for i in range(0, len(pts), 1024):
        d2 = ((pts[i:i + 1024, None] - pts[None]) ** 2).sum(-1)
        k[i:i + 1024] = np.exp(-d2 / (2 * length_scale**2))
    k[np.diag_indices_from(k)] += 1e-6
    if std != 1.0:
        k *= std**2
    return k


def _draw(rng, name: str, d, n: int, space: dict, problem):
    """``n`` draws of the random function ``name`` (see ``FamilyDraw``): the member functions
    of the space coordinates (numbers or tensors in, a tensor out) and their values on the
    space grid, shape (n, *sizes)."""
    import torch

    if d.kind == "sine_series":
        (c, x), = space.items()
        x0, x1 = problem.domain[c]
        k = np.arange(1, d.modes + 1)
        amp = rng.standard_normal((n, d.modes)) / k ** (1.0 if d.decay is None else d.decay)
        wave = torch.as_tensor(k * np.pi / (x1 - x0))

        def series(y, a):
            y = torch.as_tensor(y, dtype=torch.float64)[..., None]
            return (torch.as_tensor(a) * torch.sin(wave * (y - x0))).sum(-1)

        return [lambda y, a=a: series(y, a) for a in amp], amp @ np.sin(
            np.pi * k[:, None] * (x[None, :] - x0) / (x1 - x0))
    shape = tuple(len(v) for v in space.values())
    if np.prod(shape) > MAX_NODES:
        raise SpecError(f"a gaussian_field on {np.prod(shape)} nodes (at most {MAX_NODES}): "
                        "a coarser grid", file=problem.source, key=f"family.{name}")
    chol = np.linalg.cholesky(squared_exponential(list(space.values()), d.length_scale))
    z = rng.standard_normal((n, len(chol)))
    std = 1.0 if d.std is None else d.std
    g = (std * (z @ chol.T)).reshape(n, *shape)  # row i: std * chol @ z_i
    transform = d.transform or "exp"
    if transform == "exp":
        g = np.exp(g)
    elif transform == "threshold":
        g = np.where(g >= (d.threshold or 0.0), d.values[1], d.values[0])

    def on_nodes(*coords, values):
        at = []
        for y, (c, axis) in zip(coords, space.items(), strict=True):
            y = np.asarray(y, dtype=float)
            j = np.clip(np.rint((y - axis[0]) / (axis[-1] - axis[0]) * (len(axis) - 1)),
                        0, len(axis) - 1).astype(int)
            if not np.allclose(axis[j], y, rtol=0, atol=1e-9 * (axis[-1] - axis[0])):
                raise SpecError(f"a gaussian_field draw is known on the grid's nodes only ({c})",
                                file=problem.source, key=f"family.{name}")
            at.append(j)
        return torch.as_tensor(values[tuple(np.broadcast_arrays(*at))])

    return [lambda *y, v=v: on_nodes(*y, values=v) for v in g], g


def _member(problem, values: dict[str, float], functions: dict):
    """The member of the family with these parameter values and random functions: each
    function replaces its definition (as a values-only plug-in function of the space
    coordinates, ``<name>__member``)."""
    import copy

    from ..expr.syntax import PluginFunction
    from ..spec.problem import Parameter

    member = copy.copy(problem)
    member.parameters = {**problem.parameters,
                         **{k: Parameter(value=float(v)) for k, v in values.items()}}
    member.functions, member.definitions = dict(problem.functions), dict(problem.definitions)
    for k, fn in functions.items():
        name = f"{k}__member"
        member.functions[name] = PluginFunction(name, fn, arity=len(problem.space),
                                                doc=f"this member's draw of {k}", jets=False)
        member.definitions[k] = f"{name}({', '.join(problem.space)})"
    return member


def final_profiles(ds: FieldDataset) -> FieldDataset:
    """1-D fields u(x, t_end) of a (t, x) family, shape (n, 1, nx)."""
    return FieldDataset(ds.fields[:, :, -1, :], ds.params, ds.param_names, {"x": ds.coords["x"]},
                        ds.family + "-final")
