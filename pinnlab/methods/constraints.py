"""Hard constraints: initial and Dirichlet data built into the solution ansatz.

For a field ``u`` with initial data ``u0(x)`` at ``t = t0`` and Dirichlet data ``g_lo``, ``g_hi``
on the two ends of one space coordinate ``c ∈ [a, b]``, the ansatz is

    u = A(x, t) + D(x, t) N(x, t),
    A = u0(x) + φ_lo(c) [g_lo(x, t) - g_lo(x, t0)] + φ_hi(c) [g_hi(x, t) - g_hi(x, t0)],
    D = (t - t0)/(T - t0) · ((c - a)/(b - a)) · ((b - c)/(b - a)),

with ``φ_lo = (b - c)/(b - a)`` and ``φ_hi = (c - a)/(b - a)`` (``φ = 1`` when only one end has
data; the matching factor is left out of ``D`` for an end without data). ``A`` matches all the data
when it is compatible at the corners (``u0(a) = g_lo(t0)``), which is checked; otherwise, or for
data on several space coordinates, the remaining conditions stay soft penalty terms. Everything
is evaluated in jet arithmetic, so the derivatives of ``u`` are exact.
"""

from __future__ import annotations

import torch

from ..expr import Expression, Symbol
from ..jet import Jet
from ..spec.problem import Problem
from . import exactness


class HardConstraint:
    """``u = A + D N`` for one field; ``conditions`` lists the spec keys it imposes."""

    def __init__(self, problem: Problem, initial: Expression | None,
                 faces: list[tuple[int, float, int, Expression]], conditions: list[str]):
        self.problem = problem
        self.initial = initial
        self.faces = faces  # (coordinate index, end value, outward sign, g)
        self.conditions = conditions

    def _env(self, x: Jet, params: dict, *, at_start: bool = False) -> dict:
        env = {Symbol("param", k): v for k, v in params.items()}
        for i, c in enumerate(self.problem.coords):
            cj = x.channel(i)
            if at_start and c == self.problem.time:
                cj = cj._lift(self.problem.domain[c][0])
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
        env0 = self._env(x, params, at_start=True) if self.initial else None
        for ci, end, sign, g in self.faces:
            a, b = pb.domain[pb.coords[ci]]
            c = x.channel(ci)
            dist = (c - end) * (-sign / (b - a))  # ≥ 0 inside, 0 on this end
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
        if len({ci for ci, *_ in faces}) != 1 or len(faces) > 2 or \
                any(sign == 0 for _, _, sign, _ in faces) or \
                not _compatible(problem, initial, faces):
            faces, face_keys = [], []
        if initial is None and not faces:
            continue
        out[f] = HardConstraint(problem, initial, faces, imposed + face_keys)
    return out


def _compatible(problem: Problem, initial: Expression | None, faces) -> bool:
    """Initial and boundary data agree at the corners (checked at sample points)."""
    if initial is None or problem.time is None:
        return True
    gen = torch.Generator().manual_seed(0)
    lo = torch.tensor([problem.domain[c][0] for c in problem.coords], dtype=torch.float64)
    hi = torch.tensor([problem.domain[c][1] for c in problem.coords], dtype=torch.float64)
    pts = lo + (hi - lo) * torch.rand(16, len(lo), generator=gen, dtype=torch.float64)
    pts[:, problem.coords.index(problem.time)] = lo[problem.coords.index(problem.time)]
    params = {Symbol("param", k): (p.value if p.value is not None else p.guess)
              for k, p in problem.parameters.items()}
    for ci, end, _, g in faces:
        q = pts.clone()
        q[:, ci] = end
        env = {**params, **{Symbol("coord", c): q[:, i] for i, c in enumerate(problem.coords)}}
        a = torch.as_tensor(initial.evaluate(env), dtype=torch.float64)
        b = torch.as_tensor(g.evaluate(env), dtype=torch.float64)
        if not torch.allclose(a, b, atol=1e-10, rtol=1e-8):
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
        return (f"Dirichlet data on several coordinates ({', '.join(coords)}): only the two "
                "ends of one coordinate can be built in")
    if faces > 2:
        return f"{faces} Dirichlet conditions on the ends of {coords[0]}: at most two are built in"
    return "the Dirichlet data disagree with the initial data at the corners"
