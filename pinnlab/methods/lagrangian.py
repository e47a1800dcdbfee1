"""The Lagrangian (characteristic) form of ``u_t + a(u) u_x = ν u_xx`` and its Eulerian mapping.

A spec's equation is accepted by LPINN when, for its single field ``u`` on one periodic space
coordinate ``x`` and time ``t``, the residual text ``R`` is (up to a constant factor ``k ≠ 0``)

    R = k (u_t + a(u, x, t) u_x - ν u_xx),      ν ≥ 0 a constant,

which is checked by probing ``R`` at random values of ``u, u_t, u_x, u_xx, x, t``: no source
(``R(u, 0, 0, 0) = 0``), constant ``k = R(u, 1, 0, 0)``, constant ``-kν = R(u, 0, 0, 1)``,
``k a = R(u, 0, 1, 0)`` and ``R`` affine in the three derivatives. The characteristic velocity
``a`` is thus read from the equation itself (constant speed ``β``, Burgers ``a = u`` or any other
``a(u, x, t)``); a ``velocity`` stated in the spec is checked against it.

With the label ``X`` (the position at ``t = 0``) and the characteristic curves ``x(X, t)``::

    ∂_t x|_X = a(u, x, t),   x(X, 0) = X,          (R_x)
    ∂_t u|_X = ν u_xx,       u(X, 0) = u0(X),      (R_u)

where the Eulerian ``u_xx`` follows from the Lagrangian derivatives by the chain rule
``u_x = u_X / x_X``, ``u_xx = (u_XX x_X − u_X x_XX) / x_X³`` (exact for any map, not only for
uniform transport). Back in Eulerian coordinates ``u(x, t) = u(X*, t)`` where ``x(X*, t) = x``:
:func:`eulerian` solves for ``X*`` by safeguarded Newton on the monotone lift
``G(X) = x(X, t) − x`` (``G(X + L) = G(X) + L``), so no interpolation error enters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..errors import SpecError
from ..expr import Symbol
from ..jet import Jet, JetBasis
from ..spec.problem import Problem


@dataclass
class Transport:
    """The transport form of a problem.

    Attributes:
        field, space, time: the names of ``u``, ``x``, ``t``.
        period: ``(a, b)`` of the periodic space coordinate.
        nu: the constant viscosity ``ν``.
        velocity: ``velocity(u, x, t) -> a`` on tensors ``(N,)`` or on jets (then a jet:
            the derivatives of ``a`` follow those of its arguments).
        params: the known parameter values.
    """

    field: str
    space: str
    time: str
    period: tuple[float, float]
    nu: float
    velocity: Callable
    params: dict[str, float]


def _fail(problem: Problem, msg: str, key: str = "equations") -> SpecError:
    return SpecError(f"lpinn: {msg}", file=problem.source, key=key)


def read_transport(problem: Problem, velocity: str | None = None) -> Transport:
    """Check that ``problem`` is ``u_t + a(u, x, t) u_x = ν u_xx`` (periodic in x, initial data
    for u, known parameters) and return its :class:`Transport`; raise :class:`SpecError` naming
    what does not fit otherwise. ``velocity``: an expression for ``a`` stated in the spec
    (``[training] velocity = "u"``), checked against the equation."""
    if len(problem.fields) != 1 or len(problem.space) != 1 or problem.time is None:
        raise _fail(problem, "needs one field on one space coordinate and time, got fields "
                    f"{problem.fields} on {problem.coords}", "fields")
    if len(problem.equations) != 1:
        raise _fail(problem, f"needs one equation, got {len(problem.equations)}")
    if problem.unknowns:
        raise _fail(problem, f"solves forward problems; parameters {problem.unknowns} are "
                    "unknown", "parameters")
    if problem.observations is not None and len(problem.observations):
        raise _fail(problem, "solves forward problems; the spec has observations",
                    "observations")
    u, x, t = problem.fields[0], problem.space[0], problem.time
    kinds = {c.kind for c in problem.conditions.values()}
    periodic = [c.on for c in problem.conditions.values() if c.kind == "periodic"]
    initial = [c for c in problem.conditions.values()
               if c.kind == "initial" and c.derivative == 0]
    if periodic != [x] or not initial or kinds - {"periodic", "initial"}:
        raise _fail(problem, f"needs exactly an initial condition for {u} and periodicity in "
                    f"{x}; got conditions of kinds {sorted(kinds)}", "conditions")
    (name, text), = problem.equations.items()
    expr = problem.expression(text, f"equations.{name}")
    ix, it = problem.coords.index(x), problem.coords.index(t)
    allowed = {(), (it,), (ix,), (ix, ix)}
    bad = [s.label(problem.coords) for s in expr.derivatives if s.index not in allowed]
    if bad:
        raise _fail(problem, f"equation {text!r} has {', '.join(sorted(bad))}; the form "
                    f"is {u}_{t} + a({u}) {u}_{x} = nu {u}_{x}{x}", f"equations.{name}")
    params = {k: float(p.value) for k, p in problem.parameters.items()}
    syms = (Symbol("field", u), Symbol("field", u, (it,)), Symbol("field", u, (ix,)),
            Symbol("field", u, (ix, ix)), Symbol("coord", x), Symbol("coord", t))

    def residual(*values):
        """``R(u, u_t, u_x, u_xx, x, t)``: tensors or jets, shaped like ``u``."""
        env = {Symbol("param", k): v for k, v in params.items()}
        env.update(zip(syms, values))
        return _like(expr.evaluate(env), values[0])

    k, nu = _probe(problem, residual, text, f"equations.{name}")

    def read(uv, xv, tv):
        return residual(uv, 0.0, 1.0, 0.0, xv, tv) / k

    if velocity is not None:
        stated = problem.expression(velocity, "training.velocity")
        if any(s.kind == "field" and s.index for s in stated.symbols):
            raise _fail(problem, "the stated velocity may use the field, not its derivatives",
                        "training.velocity")

        def read_stated(uv, xv, tv):
            env = {Symbol("param", k): v for k, v in params.items()}
            env.update({syms[0]: uv, syms[4]: xv, syms[5]: tv})
            return _like(stated.evaluate(env), uv)

        _check_stated(problem, stated.text, read, read_stated)
        read = read_stated
    return Transport(u, x, t, problem.domain[x], nu, read, params)


def _like(value, like):
    """``value`` (jet, tensor or number) as a jet or tensor shaped like ``like``."""
    if isinstance(value, Jet):
        return value
    if isinstance(like, Jet):
        return like._lift(value)
    return torch.broadcast_to(torch.as_tensor(value, dtype=like.dtype, device=like.device),
                              like.shape)


def _probe(problem: Problem, residual, text: str, key: str) -> tuple[float, float]:
    """``(k, ν)`` of ``R = k (u_t + a u_x − ν u_xx)``, or :class:`SpecError`."""
    gen = torch.Generator().manual_seed(1234)
    n = 64

    def rnd(lo=-3.0, hi=3.0):
        return lo + (hi - lo) * torch.rand(n, generator=gen, dtype=torch.float64)

    (xa, xb), (ta, tb) = problem.domain[problem.space[0]], problem.domain[problem.time]
    uv, xv, tv = rnd(-25.0, 25.0), rnd(xa, xb), rnd(ta, tb)
    zero, one = torch.zeros(n, dtype=torch.float64), torch.ones(n, dtype=torch.float64)
    form = "u_t + a(u) u_x = nu u_xx"
    with torch.no_grad():
        r0 = residual(uv, zero, zero, zero, xv, tv)
        k = residual(uv, one, zero, zero, xv, tv)
        kv = residual(uv, zero, one, zero, xv, tv)
        kn = residual(uv, zero, zero, one, xv, tv)
        ut, ux, uxx = rnd(), rnd(), rnd()
        full = residual(uv, ut, ux, uxx, xv, tv)
    scale = 1.0 + float(torch.stack([k.abs(), kv.abs(), kn.abs()]).max())
    if not torch.all(torch.isfinite(torch.stack([r0, k, kv, kn, full]))):
        raise _fail(problem, f"equation {text!r} is not finite at probe values", key)
    if float(r0.abs().max()) > 1e-10 * scale:
        raise _fail(problem, f"equation {text!r} has a source or reaction term; the form "
                    f"is {form}", key)
    k0 = float(k[0])
    if abs(k0) < 1e-12 * scale or float((k - k0).abs().max()) > 1e-10 * scale:
        raise _fail(problem, f"equation {text!r}: the factor of u_t must be a nonzero "
                    f"constant; the form is {form}", key)
    nu = -float(kn[0]) / k0 + 0.0  # no "-0.0"
    if float((kn - kn[0]).abs().max()) > 1e-10 * scale or nu < 0:
        raise _fail(problem, f"equation {text!r}: the factor of u_xx must be a constant "
                    f"-nu with nu >= 0; the form is {form}", key)
    if float((full - (k * ut + kv * ux + kn * uxx)).abs().max()) > 1e-9 * scale * 10:
        raise _fail(problem, f"equation {text!r} is not linear in u_t, u_x, u_xx; the form "
                    f"is {form}", key)
    return k0, nu


def _check_stated(problem: Problem, text: str, read, stated) -> None:
    """The stated velocity equals the equation's factor of ``u_x`` at random probe values."""
    gen = torch.Generator().manual_seed(7)
    (xa, xb), (ta, tb) = problem.domain[problem.space[0]], problem.domain[problem.time]
    r = torch.rand(3, 32, generator=gen, dtype=torch.float64)
    u, xv, tv = -25 + 50 * r[0], xa + (xb - xa) * r[1], ta + (tb - ta) * r[2]
    a_read, a_stated = read(u, xv, tv), stated(u, xv, tv)
    if float((a_read - a_stated).abs().max()) > 1e-9 * (1 + float(a_read.abs().max())):
        raise _fail(problem, f"the stated velocity {text!r} is not the equation's factor of "
                    "u_x", "training.velocity")


def lagrangian_residuals(tr: Transport, points: torch.Tensor, u: Jet, xl: Jet, ix: int, it: int,
                         power: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``(R_x, R_u)`` at labels ``points (N, 2)`` (``X`` in column ``ix``) from the jets of
    ``u(X, t)`` and ``x(X, t)`` (one channel each, basis holding ``X, XX, t``); shapes ``(N,)``.

    ``R_x = ∂_t x − a(u, x, t)`` and ``R_u = J^p (∂_t u − ν u_xx)`` with the Jacobian
    ``J = x_X`` and the Eulerian ``u_xx = (u_XX J − u_X J_X) / J³``; ``power`` ``p = 0`` is the
    plain form, ``p = 1`` the conservative one ``J u_t = ν ∂_X(u_X / J)``, ``p = 3`` has no
    division (all vanish together where characteristics do not touch, ``J > 0``). For
    ``ν = 0``, ``R_u = ∂_t u`` whatever ``p``.
    """
    uv, xv = u.value[:, 0], xl.value[:, 0]
    r_x = xl.d((it,))[:, 0] - tr.velocity(uv, xv, points[:, it])
    r_u = u.d((it,))[:, 0]
    if not tr.nu:  # u is constant on characteristics: no Jacobian enters
        return r_x, r_u
    jac = xl.d((ix,))[:, 0]
    flux = u.d((ix, ix))[:, 0] * jac - u.d((ix,))[:, 0] * xl.d((ix, ix))[:, 0]
    return r_x, r_u * jac**power - tr.nu * flux * jac ** (power - 3)


def eulerian(curve: Callable[[torch.Tensor, JetBasis], Jet],
             state: Callable[[torch.Tensor], torch.Tensor], points: torch.Tensor, ix: int,
             period: tuple[float, float], *, tol: float | None = None,
             max_iter: int = 80) -> tuple[torch.Tensor, torch.Tensor]:
    """Map a Lagrangian solution to Eulerian points.

    Args:
        curve: ``(labels (N, d), basis) -> x`` jet of the characteristic curves; ``x(X, t) − X``
            must be periodic in ``X`` and ``x`` increasing in ``X`` (no crossing curves).
        state: ``labels (N, d) -> u (N, F)`` on the characteristics.
        points: Eulerian points ``(N, d)`` (``x`` in column ``ix``).
        period: the space interval ``(a, b)``.

    Returns:
        ``(u (N, F), X* (N,))``: the fields and the label whose curve passes through each
        point, ``x(X*, t) = x`` to ``tol`` (default 1e-11 L in float64, 1e-5 L in float32).
    """
    L = period[1] - period[0]
    tol = tol if tol is not None else L * (1e-11 if points.dtype == torch.float64 else 1e-5)
    basis = JetBasis(points.shape[1], [(ix,)])
    target = points[:, ix]

    def labels(X):
        lab = points.clone()
        lab[:, ix] = X
        return lab

    def g_and_slope(X):
        xl = curve(labels(X), basis)
        return xl.value[:, 0] - target, xl.d((ix,))[:, 0]

    X = target - g_and_slope(target)[0]  # one fixed-point step: X0 = x − D(x, t)
    g, slope = g_and_slope(X)
    lo = X - L * torch.ceil(g.clamp_min(0) / L)  # G(lo) ≤ 0 ≤ G(hi): G(X + L) = G(X) + L
    hi = X + L * torch.ceil((-g).clamp_min(0) / L)
    hi = torch.where(hi == lo, lo + L, hi)
    for _ in range(max_iter):
        if float(g.abs().max()) <= tol:
            break
        lo = torch.where(g <= 0, X, lo)
        hi = torch.where(g >= 0, X, hi)
        newton = X - g / torch.where(slope > 0, slope, torch.ones_like(slope))
        ok = (slope > 0) & (newton > lo) & (newton < hi)
        X = torch.where(ok, newton, 0.5 * (lo + hi))
        g, slope = g_and_slope(X)
    return state(labels(X)), X
