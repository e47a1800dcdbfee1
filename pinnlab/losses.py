"""Compile a :class:`~pinnlab.spec.problem.Problem` into named residual terms.

Each :class:`Term` knows where its points live (a sampler), which partial derivatives it needs
(a multi-index list for the jet basis) and how to turn the fields at those points into a
residual vector that must vanish:

* ``equations.<name>``: the equation text evaluated on interior points;
* ``initial``/``dirichlet``: ``u - g``; ``neumann``: ``∂u/∂n - g``; ``robin``:
  ``α u + β ∂u/∂n - g`` (outward normal ``n``); ``periodic``: value and first derivative
  matched at both ends;
* ``equation``: the condition's text (fields, derivatives, definitions) on its boundary or
  interior points;
* ``integral``: ``∫ value dx - equals`` over the space domain by Gauss–Legendre quadrature
  (one residual, or one per sampled time of a time-dependent problem);
* ``data``: ``u(x_i) - u_i`` at the observations.

A model is anything with ``fields_jet(points, basis) -> Jet`` (channels ordered as
``problem.fields``); the loss of a term is ``mean(residual²)``. Terms are addressed by name, never
by position, so weights and histories stay readable.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import torch

from .errors import SpecError
from .expr import Expression, Symbol
from .expr.evaluate import BASIS, MEMO
from .jet import Jet, JetBasis
from .sampling import BoxSampler, GridSampler, UnionSampler
from .spec.problem import Problem


@dataclass
class Term:
    """One named loss term.

    Attributes:
        name: ``equations.burgers``, ``conditions.initial``, ``data``, ...
        kind: ``residual`` | ``initial`` | ``boundary`` | ``periodic`` | ``integral`` |
            ``data``.
        sample: ``sample(n, generator) -> (n, d)`` points; ``None`` for fixed points.
        n_points: how many points to draw.
        indices: derivative multi-indices the residual needs.
        residual: ``residual(points, jet, params) -> (n,)`` tensor.
        fixed: fixed points (data terms).
        pointwise: value ``i`` of the residual depends on point ``i`` alone (false for
            observations, paired with their points by position, integrals and periodic pairs).
        constants: the tensors the residual reads besides its arguments (the observed values
            of a data term), by name: :mod:`pinnlab.batched` swaps in one set per instance.
    """

    name: str
    kind: str
    sample: Callable[[int, torch.Generator], torch.Tensor] | None
    n_points: int
    indices: list[tuple[int, ...]]
    residual: Callable[[torch.Tensor, Jet, dict], torch.Tensor]
    fixed: torch.Tensor | None = None
    points: torch.Tensor | None = field(default=None, repr=False)
    basis: JetBasis | None = field(default=None, repr=False)
    pointwise: bool = True
    constants: dict[str, torch.Tensor] = field(default_factory=dict, repr=False)


_LAST: list = [None, None]  # (the inputs, the environment) of the last call


def environment(problem: Problem, points: torch.Tensor, jet: Jet, params: dict
                ) -> dict[Symbol, object]:
    """The values an expression may refer to, at ``points``. Terms evaluated on the same
    points, jet and parameters (objects) get the same environment, whose memo (``MEMO``)
    computes each definition once for all of them."""
    if torch.compiler.is_compiling():  # a traced graph shares its work itself; no globals
        return _environment(problem, points, jet, params)
    inputs = (problem, points, jet, params)
    if _LAST[0] is not None and all(a is b for a, b in zip(_LAST[0], inputs)):
        return _LAST[1]
    env = _environment(problem, points, jet, params)
    _LAST[0], _LAST[1] = inputs, env
    return env


def release_environment() -> None:
    """Forget the last environment (and the tensors it holds)."""
    if not torch.compiler.is_compiling():
        _LAST[0] = _LAST[1] = None


def _environment(problem: Problem, points: torch.Tensor, jet: Jet, params: dict
                 ) -> dict[Symbol, object]:
    env: dict[Symbol, object] = {MEMO: {}, BASIS: jet.basis}
    keys = _keys.__wrapped__ if torch.compiler.is_compiling() else _keys  # dynamo: no caches
    p_keys, c_keys, f_keys = keys(tuple(params), tuple(problem.coords), tuple(problem.fields),
                                  tuple(jet.basis.indices))
    env.update(zip(p_keys, params.values(), strict=True))
    for i, key in enumerate(c_keys):
        env[key] = points[:, i]
    for k, part in enumerate(jet.parts):
        for fi, key in enumerate(f_keys[k]):
            env[key] = part[:, fi]
    return env


@lru_cache(maxsize=64)
def _keys(params: tuple, coords: tuple, fields: tuple, indices: tuple):
    """The environment's symbols: of each parameter, each coordinate, and per jet component
    (in ``indices`` order) of each field."""
    return ([Symbol("param", k) for k in params], [Symbol("coord", c) for c in coords],
            [[Symbol("field", f, idx) for f in fields] for idx in indices])


def compile_terms(problem: Problem, n_points: dict[str, int], *, skip: set[str] = frozenset(),
                  dtype=None, device=None, sampling: str = "sobol",
                  region: list[dict] | None = None, data: bool = True) -> list[Term]:
    """All loss terms of ``problem``; ``n_points`` maps a term kind to its point count;
    ``skip`` lists condition names imposed exactly by the method (hard constraints);
    ``sampling`` is ``sobol`` (scrambled Sobol points, redrawn on resampling) or ``grid`` (a
    fixed uniform grid) for the equations' residual points. ``region`` (a union of boxes, a
    subdomain) restricts every term to it: residual points inside it, conditions on the parts
    of the boundary it touches (a periodic pair must lie in it whole); ``data`` adds the
    observations' term."""
    terms: list[Term] = []
    boxes = region if region is not None else [problem.domain]
    opts = dict(dtype=dtype, device=device)
    shared: dict[tuple, UnionSampler | None] = {}  # conditions on one face share its points

    def face_of(c: str, end: float, sign: int) -> UnionSampler | None:
        if (c, end, sign) not in shared:
            shared[c, end, sign] = _face(boxes, c, end, sign, opts)
        return shared[c, end, sign]

    interior = (GridSampler(problem.domain, **opts) if sampling == "grid" and region is None
                else UnionSampler(boxes, **opts))
    for name, expr in problem.compiled_equations().items():
        terms.append(Term(f"equations.{name}", "residual", interior, n_points["residual"],
                          sorted({s.index for s in expr.derivatives}),
                          _equation_residual(problem, expr)))
    for name, cond in problem.conditions.items():
        key = f"conditions.{name}"
        if key in skip:
            continue
        if cond.kind == "periodic":
            lo, hi = problem.domain[cond.on]
            face = [b for b in boxes if b[cond.on][0] == lo]
            if bool(face) != any(b[cond.on][1] == hi for b in boxes):
                raise SpecError(f"periodic in {cond.on} needs both ends in one subdomain: do "
                                f"not split {cond.on} (a strip is fine)", file=problem.source,
                                key=key)
            if face:
                terms.append(_periodic_term(problem, key, cond.on, n_points["boundary"], dtype,
                                            device, UnionSampler(face, {cond.on: lo}, **opts)))
            continue
        scale = problem.constant(cond.scale, f"{key}.scale")
        if cond.kind == "integral":
            if region is not None:
                raise SpecError("an integral condition spans the whole domain; the "
                                "multi-domain methods do not take one", file=problem.source,
                                key=key)
            terms.append(_integral_term(problem, key, cond, min(n_points["boundary"], 32),
                                        scale, opts))
            continue
        if cond.kind == "equation":
            expr = problem.expression(cond.value, f"{key}.value")
            faces = problem.boundary(cond, key)
            for c, end, sign in faces:
                face = face_of(c, end, sign)
                if face is None:
                    continue
                suffix = "" if len(faces) == 1 else f"@{c}={end:g}"  # a term per face
                terms.append(Term(key + suffix, "boundary", face, n_points["boundary"],
                                  sorted({s.index for s in expr.derivatives} | {()}),
                                  _scaled(_equation_residual(problem, expr), scale)))
            continue
        g = problem.expression(cond.value, f"{key}.value", with_fields=False)
        fi = problem.fields.index(cond.field)
        if cond.kind == "initial":
            faces = [(problem.time, problem.domain[problem.time][0], -1)]
        else:
            faces = problem.boundary(cond, key)
        for c, end, sign in faces:
            sampler = face_of(c, end, sign)
            if sampler is None:
                continue
            ci = problem.coords.index(c)
            if cond.kind == "initial":
                idx = (ci,) * cond.derivative
                terms.append(Term(key, "initial", sampler, n_points["initial"], [idx],
                                  _scaled(_value_residual(problem, fi, idx, g), scale)))
                continue
            suffix = "" if len(faces) == 1 else f"@{c}={end:g}"
            res = _boundary_residual(problem, fi, ci, sign, cond.kind, cond.alpha, cond.beta, g)
            terms.append(Term(key + suffix, "boundary", sampler, n_points["boundary"],
                              [(), (ci,)] if cond.kind != "dirichlet" else [()],
                              _scaled(res, scale)))
    if data and problem.observations is not None and len(problem.observations):
        terms.append(_data_term(problem, dtype, device))
    for t in terms:
        t.basis = JetBasis(len(problem.coords), t.indices)
    return terms


def _face(boxes, c: str, end: float, sign: int, opts: dict):
    """Points on ``c = end`` of the boxes that touch it (sign 0: a plane inside the domain,
    in the boxes that contain it); ``None`` when none does."""
    if sign == 0:
        touching = [b for b in boxes if b[c][0] <= end <= b[c][1]][:1]
    else:
        touching = [b for b in boxes if b[c][0 if sign < 0 else 1] == end]
    return UnionSampler(touching, {c: end}, **opts) if touching else None


def _scaled(residual, scale: float):
    """``residual`` times the constant ``scale`` (unchanged when it is 1)."""
    if scale == 1.0:
        return residual
    return lambda points, jet, params: scale * residual(points, jet, params)


def _equation_residual(problem: Problem, expr: Expression):
    def residual(points, jet, params):
        out = expr.evaluate(environment(problem, points, jet, params))
        if not torch.is_tensor(out) or out.dim() == 0:  # a constant residual
            return torch.as_tensor(out).expand(points.shape[0])
        return out

    return residual


def _value_residual(problem: Problem, fi: int, idx: tuple, g: Expression):
    def residual(points, jet, params):
        env = environment(problem, points, jet, params)
        return jet.d(idx)[:, fi] - g.evaluate(env)

    return residual


def _boundary_residual(problem, fi, ci, sign, kind, alpha, beta, g):
    def residual(points, jet, params):
        env = environment(problem, points, jet, params)
        target = g.evaluate(env)
        if kind == "dirichlet":
            return jet.value[:, fi] - target
        normal = sign * jet.d((ci,))[:, fi]
        if kind == "neumann":
            return normal - target
        return alpha * jet.value[:, fi] + beta * normal - target

    return residual


def _integral_term(problem: Problem, key: str, cond, n: int, scale: float, opts: dict) -> Term:
    """``scale · (Σ_q w_q value(x_q) − equals)`` with the tensor Gauss–Legendre rule of
    ``cond.nodes`` nodes per space coordinate (weights ``w_q`` summing to the domain's
    measure); with time, ``n`` Sobol times per draw (the boundary point count, at most 32),
    each with every node: ``(n,)`` residuals."""
    value = problem.expression(cond.value, f"{key}.value")
    equals = problem.expression(cond.equals, f"{key}.equals", with_fields=False)
    t0, w0 = np.polynomial.legendre.leggauss(cond.nodes)
    axes, weights = [], np.ones(1)
    for c in problem.space:
        lo, hi = problem.domain[c]
        axes.append(lo + (hi - lo) * (t0 + 1) / 2)
        weights = np.outer(weights, (hi - lo) / 2 * w0).ravel()
    nodes = np.stack([g.ravel() for g in np.meshgrid(*axes, indexing="ij")], 1)
    w = torch.as_tensor(weights, **opts)
    q = w.shape[0]
    columns = [problem.space.index(c) if c in problem.space else None for c in problem.coords]
    space = torch.as_tensor(nodes, **opts)

    def place(times: torch.Tensor | None) -> torch.Tensor:
        """Every node at every time: ``(len(times) · q, d)`` (time-major)."""
        m = 1 if times is None else times.shape[0]
        return torch.stack([space[:, i].repeat(m) if i is not None
                            else times.repeat_interleave(q) for i in columns], 1)

    def residual(points, jet, params):
        env = environment(problem, points, jet, params)
        f = _column(value.evaluate(env), points).reshape(-1, q)
        starts = points[::q]  # one point per time slice: ``equals`` holds no fields
        total = {MEMO: {}, **{Symbol("param", k): v for k, v in params.items()},
                 **{Symbol("coord", c): starts[:, i] for i, c in enumerate(problem.coords)}}
        return scale * (f @ w - _column(equals.evaluate(total), starts))

    indices = sorted({s.index for s in value.derivatives} | {()})
    if problem.time is None:
        return Term(key, "integral", None, 1, indices, residual, fixed=place(None),
                    pointwise=False)
    lo, hi = problem.domain[problem.time]
    times = BoxSampler({problem.time: (lo, hi)}, **opts)
    return Term(key, "integral", lambda m, gen: place(times(m, gen)[:, 0]), n, indices,
                residual, pointwise=False)


def _periodic_term(problem, key, coord, n, dtype, device, face=None) -> Term:
    """Value and first derivative equal at ``coord = lo`` and ``coord = hi``; ``face`` draws the
    points on the ``lo`` face (default: the whole face of the domain), each paired with its
    image on the ``hi`` face."""
    ci = problem.coords.index(coord)
    lo, hi = problem.domain[coord]
    sampler = face or BoxSampler(problem.domain, {coord: lo}, dtype=dtype, device=device)

    def sample(n, gen):
        a = sampler(n, gen)
        b = a.clone()
        b[:, ci] = hi
        return torch.cat([a, b])

    def residual(points, jet, params):
        m = points.shape[0] // 2
        v, d = jet.value, jet.d((ci,))
        return torch.cat([(v[:m] - v[m:]).flatten(), (d[:m] - d[m:]).flatten()])

    return Term(key, "periodic", sample, n, [(), (ci,)], residual, pointwise=False)


def _data_term(problem: Problem, dtype, device, rows: torch.Tensor | None = None,
               name: str = "data") -> Term:
    """``(y(x_i) − y_i) / s_i`` over the observations (or the selected ``rows``), ``y`` a
    field or a definition (a derived quantity such as a velocity computed from a temperature),
    ``s_i = mean|y|`` of its column, or ``|y_i|`` (floored at 1e-3 of that mean) when the noise
    is relative to each value (``noise_model = "relative"``: then the residual carries the same
    noise ``σ = noise`` everywhere, and its sum of squares is the Gaussian likelihood's); a
    value that is NaN (not measured) has no entry: the residual holds the measured ``(i, y)``
    pairs, row-major."""
    obs = problem.observations
    pts = torch.stack([torch.as_tensor(obs.coords[c], dtype=dtype) for c in problem.coords], 1)
    names = list(obs.values)
    exprs = [problem.expression(f, f"observations:{f}") for f in names]
    target = torch.stack([torch.as_tensor(obs.values[f], dtype=dtype) for f in names], 1)
    measured = ~torch.isnan(target)
    scale = (target.nan_to_num().abs().sum(0) / measured.sum(0).clamp_min(1)).clamp_min(1e-12)
    if obs.noise_model == "relative":
        scale = torch.maximum(target.nan_to_num().abs(), 1e-3 * scale)
    if rows is not None:
        pts, target, measured = pts[rows], target[rows], measured[rows]
        scale = scale[rows] if scale.dim() == 2 else scale
    keep = None if measured.all() else measured.flatten().nonzero().flatten().to(device)
    pts, scale = pts.to(device), scale.to(device)
    target = target.nan_to_num().to(device)
    indices = sorted({s.index for e in exprs for s in e.derivatives} | {()})

    def residual(points, jet, params):
        env = environment(problem, points, jet, params)
        pred = torch.stack([_column(e.evaluate(env), points) for e in exprs], 1)
        held = term.constants
        r = ((pred - held["target"]) / held["scale"]).flatten()
        return r.index_select(0, held["keep"]) if "keep" in held else r  # fixed size (compile)

    constants = {"target": target, "scale": scale}
    if keep is not None:
        constants["keep"] = keep  # the measured entries
    term = Term(name, "data", None, pts.shape[0], indices, residual, fixed=pts,
                pointwise=False, constants=constants)
    return term


def _column(value, points: torch.Tensor) -> torch.Tensor:
    """An expression's value as an ``(N,)`` tensor (constants broadcast)."""
    value = torch.as_tensor(value, dtype=points.dtype, device=points.device)
    return value.expand(points.shape[0]) if value.dim() == 0 else value
