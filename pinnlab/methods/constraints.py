"""Hard constraints: initial and Dirichlet data built into the solution ansatz.

For a field ``u`` with initial data ``u0(x)`` at ``t = t0`` and Dirichlet data ``g_lo``, ``g_hi``
on the two ends of one space coordinate ``c ∈ [a, b]``, the ansatz is

    u = A(x, t) + D(x, t) N(x, t),
    A = u0(x) + φ_lo(c) [g_lo(x, t) - g_lo(x, t0)] + φ_hi(c) [g_hi(x, t) - g_hi(x, t0)],
    D = (t - t0)/(T - t0) · ((c - a)/(b - a)) · ((b - c)/(b - a)),

with ``φ_lo = (b - c)/(b - a)`` and ``φ_hi = (c - a)/(b - a)`` (``φ = 1`` when only one end has
data; the matching factor is left out of ``D`` for an end without data). ``A`` matches all the data
when it is compatible at the corners (``u0(a) = g_lo(t0)``), which is checked.

The same constant ``C`` on every face, on any number of coordinates (a box held at ``C``,
steady or not), is built in too: ``A = C`` (or ``u0``, which must equal ``C`` on the faces)
and ``D`` the product of every face's distance factor (and of the time factor). Otherwise the
remaining conditions stay soft penalty terms: an initial velocity (``u_t(x, t0) = v0``) among
them — the ansatz ``u0 + (t − t0) v0 + (t − t0)² D N`` holds it exactly, but on a wave equation
it trained far worse than the penalty term, so it is not used. Everything is evaluated in jet
arithmetic, so the derivatives of ``u`` are exact.
"""

from __future__ import annotations

import torch

from ..expr import Expression, Symbol
from ..jet import Jet
from ..spec.problem import Problem
from . import exactness


class HardConstraint:
    """``u = A + D N`` for one field; ``conditions`` lists the spec keys it imposes;
    ``constant``: the value of the data on every face when they are one constant on several
    coordinates (module docstring), else ``None``."""

    def __init__(self, problem: Problem, initial: Expression | None,
                 faces: list[tuple[int, float, int, Expression]], conditions: list[str],
                 constant: float | None = None):
        self.problem = problem
        self.initial = initial
        self.faces = faces  # (coordinate index, end value, outward sign, g)
        self.conditions = conditions
        self.constant = constant

    def _env(self, x: Jet, params: dict, *, at_start: bool = False) -> dict:
        """The coordinates as jets; ``at_start``: time is the number ``t0`` (a plain tensor,
        not a constant jet, so that data singular at ``t0`` such as ``t^(1/m)`` give their
        value there and no ``∞ · 0`` in the derivatives)."""
        env = {Symbol("param", k): v for k, v in params.items()}
        for i, c in enumerate(self.problem.coords):
            cj = x.channel(i)
            if at_start and c == self.problem.time:
                cj = torch.tensor(self.problem.domain[c][0], dtype=cj.value.dtype,
                                  device=cj.value.device)
            env[Symbol("coord", c)] = cj
        return env

    def _as_jet(self, value, like: Jet) -> Jet:
        return value if isinstance(value, Jet) else like._lift(value)

    def parts(self, x: Jet, params: dict) -> tuple[Jet, Jet]:
        """``(A, D)`` as jets with one channel."""
        like = x.channel(0)
        env = self._env(x, params)
        A = self._as_jet(self.initial.evaluate(env), like) if self.initial else like._lift(0.0)
        D = like._lift(1.0)
        pb = self.problem
        if pb.time is not None and self.initial is not None:
            t0, t1 = pb.domain[pb.time]
            D = D * ((x.channel(pb.coords.index(pb.time)) - t0) * (1.0 / (t1 - t0)))
        elif self.constant is not None:
            A = like._lift(self.constant)
        env0 = self._env(x, params, at_start=True) if self.initial else None
        for ci, end, sign, g in self.faces:
            a, b = pb.domain[pb.coords[ci]]
            c = x.channel(ci)
            dist = (c - end) * (-sign / (b - a))  # ≥ 0 inside, 0 on this end
            if self.constant is not None:  # A already holds the data
                D = D * dist
                continue
            if len(self.faces) == 2:
                phi = (c - a) * (1.0 / (b - a)) if sign > 0 else (c - b) * (-1.0 / (b - a))
            else:
                phi = like._lift(1.0)
            gv = self._as_jet(g.evaluate(env), like)
            if self.initial is not None:
                gv = gv - self._as_jet(g.evaluate(env0), like)
            A = A + phi * gv
            D = D * dist
        return A, D

    def apply(self, x: Jet, raw: Jet, params: dict) -> Jet:
        A, D = self.parts(x, params)
        return A + D * raw


def hard_constraints(problem: Problem) -> dict[str, HardConstraint]:
    """The hard constraints the spec allows, per field (see the module docstring)."""
    out: dict[str, HardConstraint] = {}
    mapped = set(problem.bounds) | {f for g in problem.simplex.values() for f in g}
    for f in problem.fields:
        if f in mapped:  # bounded or simplex fields keep their output map; data stay soft
            continue
        initial, imposed = None, []
        for k, c in problem.conditions.items():
            if c.kind == "initial" and c.field == f and c.derivative == 0:
                initial = problem.expression(c.value, f"conditions.{k}.value", with_fields=False)
                imposed.append(f"conditions.{k}")
        faces, face_keys = [], []
        for k, c in problem.conditions.items():
            if c.kind == "dirichlet" and c.field == f:
                for coord, end, sign in problem.boundary(c, f"conditions.{k}"):
                    g = problem.expression(c.value, f"conditions.{k}.value", with_fields=False)
                    faces.append((problem.coords.index(coord), end, sign, g))
                face_keys.append(f"conditions.{k}")
        constant = _constant(problem, faces)
        one_coordinate = len({ci for ci, *_ in faces}) == 1 and len(faces) <= 2
        if (not one_coordinate and constant is None) or \
                any(sign == 0 for _, _, sign, _ in faces) or \
                not _compatible(problem, initial, faces):
            faces, face_keys, constant = [], [], None
        if one_coordinate:
            constant = None  # the general ansatz of one coordinate holds these data too
        if initial is None and not faces:
            continue
        out[f] = HardConstraint(problem, initial, faces, imposed + face_keys, constant)
    return out


def _samples(problem: Problem, n: int = 16) -> tuple[torch.Tensor, dict]:
    """Random points of the domain (float64) and the parameters' values."""
    gen = torch.Generator().manual_seed(0)
    lo = torch.tensor([problem.domain[c][0] for c in problem.coords], dtype=torch.float64)
    hi = torch.tensor([problem.domain[c][1] for c in problem.coords], dtype=torch.float64)
    pts = lo + (hi - lo) * torch.rand(n, len(lo), generator=gen, dtype=torch.float64)
    params = {Symbol("param", k): p.nominal for k, p in problem.parameters.items()}
    return pts, params


def _values(problem: Problem, expr: Expression, pts: torch.Tensor, params: dict) -> torch.Tensor:
    env = {**params, **{Symbol("coord", c): pts[:, i] for i, c in enumerate(problem.coords)}}
    return torch.as_tensor(expr.evaluate(env), dtype=torch.float64).expand(pts.shape[0])


def _constant(problem: Problem, faces) -> float | None:
    """The one constant all the faces' data equal (at sample points), else ``None``."""
    if not faces:
        return None
    pts, params = _samples(problem)
    vals = torch.cat([_values(problem, g, pts, params) for *_, g in faces])
    c = float(vals[0])
    return c if torch.allclose(vals, torch.full_like(vals, c), atol=1e-12, rtol=0) else None


def _compatible(problem: Problem, initial: Expression | None, faces) -> bool:
    """Initial and boundary data agree at the corners (checked at sample points)."""
    if initial is None or problem.time is None:
        return True
    pts, params = _samples(problem)
    pts[:, problem.coords.index(problem.time)] = problem.domain[problem.time][0]
    for ci, end, _, g in faces:
        q = pts.clone()
        q[:, ci] = end
        if not torch.allclose(_values(problem, initial, q, params), _values(problem, g, q, params),
                              atol=1e-10, rtol=1e-8):
            return False
    return True


def condition_status(problem: Problem, cfg) -> dict[str, tuple[str, str]]:
    """The PINN's exact and soft conditions, with the reason for each soft one (see
    :func:`hard_constraints`)."""
    imposed = set()
    if getattr(cfg, "hard_constraints", True):
        imposed = {k.split(".", 1)[1] for hc in hard_constraints(problem).values()
                   for k in hc.conditions}
    mapped = set(problem.bounds) | {f for g in problem.simplex.values() for f in g}
    out = {}
    for k, c in problem.conditions.items():
        if c.kind == "periodic":
            embedded = getattr(cfg, "periodic_embedding", True)
            out[k] = (("exact", exactness.EXACT_PERIODIC) if embedded
                      else ("soft", "periodic_embedding = false"))
        elif k in imposed:
            out[k] = ("exact", exactness.EXACT_ANSATZ)
        elif c.kind not in ("initial", "dirichlet"):
            out[k] = ("soft", f"{c.kind}: a penalty term (only initial and "
                      "Dirichlet data are built in)")
        elif not getattr(cfg, "hard_constraints", True):
            out[k] = ("soft", "hard_constraints = false")
        elif c.field in mapped:
            out[k] = ("soft", f"field {c.field!r} has bounds or is in a simplex: its output map "
                      "is kept, its data stay penalty terms")
        elif c.kind == "initial":
            out[k] = ("soft", f"an initial condition on the time derivative of order "
                      f"{c.derivative} is a penalty term")
        else:
            out[k] = ("soft", _dirichlet_reason(problem, c.field))
    return out


def _dirichlet_reason(problem: Problem, field: str) -> str:
    """Why the Dirichlet data of ``field`` are not built in."""
    coords, faces = [], 0
    for k, c in problem.conditions.items():
        if c.kind == "dirichlet" and c.field == field:
            for coord, _, sign in problem.boundary(c, f"conditions.{k}"):
                if sign == 0:
                    return "Dirichlet data inside the domain are a penalty term"
                faces += 1
                if coord not in coords:
                    coords.append(coord)
    if len(coords) > 1:
        return (f"Dirichlet data on several coordinates ({', '.join(coords)}): built in only "
                "when they are one constant on every face")
    if faces > 2:
        return f"{faces} Dirichlet conditions on the ends of {coords[0]}: at most two are built in"
    return "the Dirichlet data disagree with the initial data at the corners"
