"""Reusable numerical assertions for pinnlab's tests and for users' own specs.

In the spirit of e3nn's ``assert_equivariant``: each helper states one property that must hold
whatever the method, and fails with the numbers that broke it.

* :func:`assert_residual_vanishes` — every equation (and condition) of a problem is satisfied by
  a known exact solution, derivatives taken by finite differences (an independent path from the
  jets the methods use).
* :func:`assert_derivatives_match_fd` — the jet derivatives of a model match finite differences.
* :func:`residuals_of_samples` — a spec's equations on a sampled 1-D reference solution (a
  Cantera flame), to check that the spec writes the reference's equations.
* :func:`slope_problem` — linear regression written as an inverse spec, whose exact posterior
  the interval methods are checked against.
* :func:`assert_batched_matches` — instances trained together (:mod:`pinnlab.batched`) end
  where the same instances trained one by one end.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from .expr import Symbol
from .jet import Jet, JetBasis
from .spec.problem import Problem

ExactFn = Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]]


def fd_derivative(fn: Callable[[np.ndarray], np.ndarray], x: np.ndarray,
                  index: tuple[int, ...], h: float) -> np.ndarray:
    """Partial derivative ``index`` (coordinate positions) of ``fn`` at points ``x (N, d)`` by
    nested fourth-order central differences with step ``h``."""
    if not index:
        return fn(x)
    i, rest = index[0], index[1:]
    e = np.zeros(x.shape[1])
    e[i] = h

    def inner(y):
        return fd_derivative(fn, y, rest, h)

    return (-inner(x + 2 * e) + 8 * inner(x + e) - 8 * inner(x - e) + inner(x - 2 * e)) / (12 * h)


def _random_points(problem: Problem, n: int, seed: int, margin: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lo = np.array([a for a, _ in problem.domain.values()])
    hi = np.array([b for _, b in problem.domain.values()])
    pad = margin * (hi - lo)
    return lo + pad + (hi - lo - 2 * pad) * rng.random((n, len(lo)))


def residuals_of_exact(problem: Problem, exact: ExactFn, points: np.ndarray, *, h: float = 1e-3,
                       params: dict[str, float] | None = None) -> dict[str, np.ndarray]:
    """Each equation's residual on ``exact`` at ``points (N, d)``, with the scale it is measured
    against (the largest magnitude of the field values and derivatives it uses)."""
    coords = problem.coords
    values = {k: p.nominal for k, p in problem.parameters.items()}
    values.update(params or {})
    out = {}
    for name, expr in problem.compiled_equations().items():
        env: dict = {Symbol("param", k): torch.tensor(v, dtype=torch.float64)
                     for k, v in values.items()}
        for i, c in enumerate(coords):
            env[Symbol("coord", c)] = torch.as_tensor(points[:, i])
        scale = 0.0
        for sym in expr.needed():
            def field_fn(y, f=sym.name):
                return exact(dict(zip(coords, y.T)))[f]

            d = fd_derivative(field_fn, points, sym.index, h)
            env[sym] = torch.as_tensor(d)
            scale = max(scale, float(np.abs(d).max()))
        r = np.asarray(expr.evaluate(env), dtype=float)
        out[name] = (np.broadcast_to(r, (points.shape[0],)), scale)
    return out


def assert_residual_vanishes(problem: Problem, exact: ExactFn, *, n: int = 64, rtol: float = 1e-6,
                             h: float = 1e-3, points: np.ndarray | None = None, seed: int = 0,
                             params: dict[str, float] | None = None) -> None:
    """Assert every equation of ``problem`` vanishes on ``exact`` (``{coord: array} -> {field:
    array}``, numpy) at ``n`` random interior points: ``max |r| <= rtol * scale``, where
    ``scale`` is the largest magnitude among the derivatives the equation uses."""
    pts = _random_points(problem, n, seed) if points is None else np.asarray(points, float)
    for name, (r, scale) in residuals_of_exact(problem, exact, pts, h=h, params=params).items():
        worst = float(np.abs(r).max())
        assert worst <= rtol * max(scale, 1.0), (
            f"equations.{name}: max |residual| = {worst:.3e} > {rtol:g} x scale {scale:.3e}")


def assert_residual_detects(problem: Problem, wrong: ExactFn, *, n: int = 64, rtol: float = 1e-3,
                            seed: int = 0) -> None:
    """The converse check: a function that is *not* a solution leaves a residual."""
    pts = _random_points(problem, n, seed)
    worst = max(float(np.abs(r).max()) / max(s, 1.0)
                for r, s in residuals_of_exact(problem, wrong, pts).values())
    assert worst > rtol, f"residual {worst:.3e} did not detect a wrong solution"


def assert_derivatives_match_fd(model: Callable, points: torch.Tensor,
                                indices: list[tuple[int, ...]], *, h: float = 1e-3,
                                rtol: float = 1e-6) -> None:
    """Assert ``model.fields_jet`` (or ``model.jet`` for a bare network) derivatives equal finite
    differences of ``model(points)`` in float64."""
    basis = JetBasis(points.shape[1], indices)
    jet_fn = getattr(model, "fields_jet", None)
    with torch.no_grad():
        pts = points.to(torch.float64)
        jet = jet_fn(pts, basis) if jet_fn else model.jet(basis.seed(pts))

        def values(y: np.ndarray) -> np.ndarray:
            return model(torch.as_tensor(y)).numpy()

        for idx in basis.indices:
            fd = fd_derivative(values, pts.numpy(), idx, h)
            got = jet.d(idx).numpy()
            err = float(np.abs(got - fd).max())
            scale = max(float(np.abs(fd).max()), 1.0)
            assert err <= rtol * scale, (
                f"derivative {idx}: jet and finite differences differ by {err:.3e} "
                f"(scale {scale:.3e})")


class ExactModel(torch.nn.Module):
    """A 'model' whose fields are a known function written in jet arithmetic:
    ``fn({coord: Jet}) -> {field: Jet}`` (use ``.sin()``, ``.exp()``, ``*``, ``+`` ...)."""

    def __init__(self, problem: Problem, fn: Callable):
        super().__init__()
        self.problem, self.fn = problem, fn

    def fields_jet(self, points: torch.Tensor, basis: JetBasis):
        from .jet import Jet

        x = basis.seed(points)
        coords = {c: x.channel(i) for i, c in enumerate(self.problem.coords)}
        out = self.fn(coords)
        return Jet.cat([out[f] for f in self.problem.fields])

    def forward(self, points: torch.Tensor) -> torch.Tensor:
        return self.fields_jet(points, JetBasis(points.shape[1], [])).value


def assert_terms_vanish(problem: Problem, exact_jet: Callable, *, n: int = 64, atol: float = 1e-9,
                        params: dict[str, float] | None = None) -> dict[str, float]:
    """Every compiled loss term (equations, conditions, periodicity, data) of ``problem`` is
    ``<= atol`` (max abs) on the exact solution ``exact_jet`` (see :class:`ExactModel`).
    Returns the worst residual per term."""
    from .losses import compile_terms

    terms = compile_terms(problem, {"residual": n, "boundary": n, "initial": n},
                          dtype=torch.float64)
    model = ExactModel(problem, exact_jet)
    values = {k: torch.tensor(p.nominal, dtype=torch.float64)
              for k, p in problem.parameters.items()}
    values.update({k: torch.tensor(v, dtype=torch.float64) for k, v in (params or {}).items()})
    gen = torch.Generator().manual_seed(0)
    worst = {}
    for t in terms:
        pts = t.fixed if t.sample is None else t.sample(t.n_points, gen)
        r = t.residual(pts, model.fields_jet(pts, t.basis), values)
        worst[t.name] = float(r.abs().max())
    bad = [f"{k}: max |residual| = {v:.3e}" for k, v in worst.items() if not v <= atol]
    assert not bad, "; ".join(bad) + f" (> {atol:g})"
    return worst


def interface_term_values(problem: Problem, jet_a: Callable, jet_b: Callable, *, n: int = 64,
                          seed: int = 0) -> dict[str, float]:
    """The nine interface terms (see :mod:`pinnlab.methods.interfaces`) summed over every
    interface of ``problem.decomposition`` when the networks on the two sides are the jet
    functions ``jet_a`` and ``jet_b`` (as for :class:`ExactModel`)."""
    from .methods.interfaces import InterfaceTerms
    from .spec.decomposition import INTERFACE_TERMS

    _, faces = problem.decomposition.geometry(problem.domain, source=problem.source)
    params = {k: torch.tensor(p.nominal, dtype=torch.float64)
              for k, p in problem.parameters.items()}
    a, b = ExactModel(problem, jet_a), ExactModel(problem, jet_b)
    gen = torch.Generator().manual_seed(seed)
    total = dict.fromkeys(INTERFACE_TERMS, 0.0)
    everything = set(INTERFACE_TERMS)
    for face in faces:
        terms = InterfaceTerms(problem, face, n, dtype=torch.float64)
        x = terms.sample(n, gen).requires_grad_(True)
        basis = JetBasis(len(problem.coords), sorted(terms.indices(everything)))
        for name, v in terms.losses(x, a.fields_jet(x, basis), b.fields_jet(x, basis), params,
                                    everything).items():
            total[name] += float(v.detach())
    return total


def assert_interface_terms(problem: Problem, exact_jet: Callable, other_jet: Callable, *,
                           n: int = 64, atol: float = 1e-12, min_gap: float = 1e-8
                           ) -> tuple[dict[str, float], dict[str, float]]:
    """Every interface term is ``<= atol`` when both sides are the exact solution and
    ``>= min_gap`` when one side is ``other_jet`` instead (a function differing from it)."""
    same = interface_term_values(problem, exact_jet, exact_jet, n=n)
    diff = interface_term_values(problem, exact_jet, other_jet, n=n)
    bad = [f"{k} = {v:.3e} on the exact solution" for k, v in same.items() if not v <= atol]
    bad += [f"{k} = {v:.3e} although the sides differ" for k, v in diff.items()
            if not v >= min_gap]
    assert not bad, "; ".join(bad)
    return same, diff


def residuals_of_samples(problem: Problem, x: np.ndarray, fields: dict[str, np.ndarray],
                         params: dict[str, float]) -> dict[str, np.ndarray]:
    """The spec's equations evaluated on a sampled 1-D solution (a reference solver's, on its
    possibly non-uniform grid ``x`` (N,)): first and second derivatives by second-order finite
    differences (``numpy.gradient``), ``params`` for the unknown parameters. Returns each
    equation's residual (N,), the end points included (one-sided differences there)."""
    from .losses import environment, release_environment

    F = np.column_stack([fields[f] for f in problem.fields])
    d1 = np.gradient(F, x, axis=0, edge_order=2)
    d2 = np.gradient(d1, x, axis=0, edge_order=2)
    jet = Jet([torch.tensor(a) for a in (F, d1, d2)], JetBasis(1, [(0, 0)]))
    values = {k: torch.tensor(p.value if not p.unknown else params[k], dtype=torch.float64)
              for k, p in problem.parameters.items()}
    env = environment(problem, torch.tensor(x).reshape(-1, 1), jet, values)
    out = {k: e.evaluate(env) for k, e in problem.compiled_equations().items()}
    release_environment()
    return {k: np.broadcast_to(np.asarray(v, dtype=float), x.shape).copy()
            for k, v in out.items()}


def assert_batched_matches(problems: list[Problem], cfg, seeds: list[int], *,
                           atol: float = 1e-8, rtol: float = 1e-8, batched: bool = True,
                           device: str = "cpu", method: str = "pinn") -> list:
    """Train ``problems[k]`` from ``seeds[k]`` with :func:`~pinnlab.batched.train_many` and one
    by one; every weight, history row and stop reason must agree (weights within ``atol``,
    logged losses within ``rtol``), and the Adam phases must have run as one batch (or, with
    ``batched=False``, alone). ``method``: ``pinn`` or ``multidomain`` (``cfg`` is its
    configuration). Returns the batched ``[(model, trainer)]``."""
    import dataclasses

    from .batched import train_many
    from .methods.multidomain import build_multidomain, train_multidomain
    from .methods.pinn import build_pinn, train_pinn
    from .stages import RunContext

    build, train = {"pinn": (build_pinn, train_pinn),
                    "multidomain": (build_multidomain, train_multidomain)}[method]
    ctx = RunContext(progress=False, device=device, method=method)
    many = train_many(problems, cfg, ctx, seeds, build=build)
    for k, (problem, seed) in enumerate(zip(problems, seeds, strict=True)):
        model, trainer = train(problem, cfg, dataclasses.replace(ctx, seed=seed))
        bmodel, btrainer = many[k]
        assert btrainer.batched == (len(problems) if batched else 0), "batched or not"
        for name, v in model.state_dict().items():
            w = bmodel.state_dict()[name]
            gap = float((w - v).abs().max()) if v.numel() else 0.0
            assert gap <= atol, f"instance {k}: {name} differs by {gap:.3e} (atol {atol:g})"
        assert btrainer.state.stops == trainer.state.stops, (k, btrainer.state.stops)
        rows, brows = trainer.state.history, btrainer.state.history
        assert [r["step"] for r in brows] == [r["step"] for r in rows], f"instance {k}: steps"
        for r, b in zip(rows, brows, strict=True):
            for key, v in r.items():
                if isinstance(v, float) and key != "wall_s":
                    assert abs(b[key] - v) <= rtol * max(abs(v), 1e-300), (
                        f"instance {k}, step {r['step']}: {key} {b[key]!r} vs {v!r}")
    return many


def hide_module(monkeypatch, name: str) -> None:
    """Make ``importlib.import_module(name)`` fail as if the optional package ``name`` were
    not installed (for the one-line ``MissingDependency`` checks; ``monkeypatch`` is pytest's
    fixture, which undoes it after the test)."""
    import importlib

    real = importlib.import_module

    def without(module, *args, **kwargs):
        if module == name:
            raise ImportError(module)
        return real(module, *args, **kwargs)

    monkeypatch.setattr(importlib, "import_module", without)


SLOPE_SPEC = """
name = "slope"
fields = ["u"]

[domain]
x = [0.0, 1.0]

[parameters]
a = { guess = 0.5, bounds = [0.01, 10.0] }

[equations]
slope = "u_x - a"

[conditions.origin]
kind = "dirichlet"
field = "u"
on = "x = 0"
value = "0"

[observations]
file = "obs.csv"
noise = 0.05

[training]
width = 16
depth = 2
residual_points = 64
sampling = "grid"
adam_steps = 600
lbfgs_steps = 400
resample_every = 0
"""


def slope_problem(folder, seed: int, n: int = 30, slope: float = 2.0,
                  noise: float = 0.05, relative: bool = False) -> tuple:
    """Linear regression through the origin as an inverse spec (``u' = a``, ``u(0) = 0``,
    ``n`` readings ``u(x_i) = a x_i + σ ε_i`` with ``σ = noise · RMS(a x)``), written to
    ``folder/slope.toml`` and ``folder/obs.csv``. Its least-squares slope
    ``Σ x_i y_i / Σ x_i²`` has standard deviation ``σ / √(Σ x_i²)``, the exact (flat-prior)
    posterior's. With ``relative``, the readings are ``a x_i (1 + noise ε_i)`` and the spec says
    ``noise_model = "relative"``: the weighted least-squares slope
    ``Σ (x_i/y_i) / Σ (x_i/y_i)²`` has standard deviation ``noise / √(Σ (x_i/y_i)²)`` (``σ``
    is then ``noise``). Returns ``(spec path, x, y_obs, σ)``."""
    from pathlib import Path

    folder = Path(folder)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(0.05, 1.0, n))
    y = slope * x
    sigma = noise if relative else noise * float(np.sqrt(np.mean(y**2)))
    y_obs = y * (1 + sigma * rng.standard_normal(x.size)) if relative else (
        y + sigma * rng.standard_normal(x.size))
    np.savetxt(folder / "obs.csv", np.column_stack([x, y_obs]), delimiter=",", header="x,u",
               comments="")
    model = '\nnoise_model = "relative"' if relative else ""
    (folder / "slope.toml").write_text(SLOPE_SPEC.replace("noise = 0.05",
                                                          f"noise = {noise}{model}"))
    return folder / "slope.toml", x, y_obs, sigma
