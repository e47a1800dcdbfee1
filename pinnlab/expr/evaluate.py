"""Evaluate compiled expression programs on numbers, tensors or jets.

A program (built by :mod:`pinnlab.expr.syntax`) is a tree of tuples::

    ("num", v)  ("sym", Symbol)  ("neg", a)  ("bin", op, a, b)  ("cmp", op, a, b)
    ("call", name, args)  ("fn", name, plugin function, args)  ("def", name, program)
    ("d", multi-index, program)

``env`` maps each :class:`~pinnlab.expr.syntax.Symbol` to a value: a float, a tensor ``(N,)``
or a jet. Derivative symbols of fields (``u_x``) are looked up directly. The derivative
operator ``("d", m, child)`` — ``diff(k*u_x, x)`` or ``(k*u_x)_x`` in the text — evaluates the child
in *jet mode*: every leaf becomes a :class:`~pinnlab.jet.Jet` on the basis ``{a + m}`` (``a``
ranging over the basis asked of the node, ``{()}`` at the top), whose components are read from
``env`` (a field ``u_b`` gives the components ``u_{a+b}``, a coordinate its value and unit
derivative, a parameter a constant), and the node's components are the child's components
shifted by ``m``. Nested operators compose; the field derivatives needed are known at compile
time (:attr:`Expression.derivatives`), so ``env`` always holds them.

Definitions (``("def", name, program)``) are evaluated once per call and basis (memoised).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache

import torch

from ..errors import SpecError
from ..jet import Jet, JetBasis

MEMO = "__memo__"
"""The key of ``env`` that holds a memo shared by every expression evaluated on it."""
BASIS = "__basis__"
"""The key of ``env`` that holds the basis of the field components it has (a full jet)."""


def run(p: tuple, env: Mapping, basis: JetBasis | None = None, memo: dict | None = None,
        dim: int = 0):
    """The value of program ``p``: plain values when ``basis`` is ``None``, else a jet on
    ``basis`` (see the module docstring). ``dim`` is the number of coordinates."""
    memo = {} if memo is None else memo
    op = p[0]
    if op == "num":
        return p[1]
    if op == "sym":
        return env[p[1]] if basis is None else _leaf(p[1], env, basis)
    if op == "coord":
        return env[p[1]] if basis is None else _coordinate(env[p[1]], p[2], basis)
    if op == "neg":
        return -run(p[1], env, basis, memo, dim)
    if op == "bin":
        a, b = run(p[2], env, basis, memo, dim), run(p[3], env, basis, memo, dim)
        o = p[1]
        if o == "+":
            return a + b
        if o == "-":
            return a - b
        if o == "*":
            return a * b
        if o == "/":
            return a / b
        return a ** b
    if op == "cmp":
        return _compare(p[1], _value(run(p[2], env, basis, memo, dim)),
                        _value(run(p[3], env, basis, memo, dim)))
    if op == "def":
        key = (p[1], None if basis is None else tuple(basis.indices))
        if key not in memo:
            memo[key] = run(p[2], env, basis, memo, dim)
        return memo[key]
    if op == "d":
        return _derivative(p[1], p[2], env, basis, memo, dim)
    if op == "fn":
        return _function(p, env, basis, memo, dim)
    if op == "call":
        name, args = p[1], [run(a, env, basis, memo, dim) for a in p[2]]
        return apply(name, *args)
    raise AssertionError(op)


def _function(p: tuple, env, basis, memo, dim):
    """A plug-in function. Of fields (and parameters) alone, it runs once per environment: on
    the values when only values are asked for, else on the full jet of the fields
    (``env[BASIS]``), from which every request reads its components."""
    plugin, args = p[2], p[3]
    full = env.get(BASIS)
    whole = (plugin.jets and full is not None
             and all(a[0] == "sym" and (a[1].kind == "param"
                                     or (a[1].kind == "field" and not a[1].index))
                 for a in args)
             and (basis is None or basis.position.keys() <= full.position.keys()))
    asked = 0 if basis is None else basis.order
    if plugin.order_loss and (not whole or asked > full.order - plugin.order_loss):
        raise SpecError(f"{p[1]}() gives derivatives up to {plugin.order_loss} order(s) below "
                        "those of the fields it reads: it takes the fields themselves, and "
                        "its derivatives only up to that order", key=p[1])
    def call(values, mode):
        if plugin.shares is None:
            return plugin.fn(*values)
        return plugin.fn(*values, state=memo.setdefault(("state", plugin.shares, args, mode), {}))

    if not whole:
        return call([run(a, env, basis, memo, dim) for a in args],
                    None if basis is None else tuple(basis.indices))
    key = ("fn", p[1], args)
    if basis is None and key not in memo and not plugin.order_loss:  # values suffice
        plain = ("fn-value",) + key[1:]
        if plain not in memo:
            memo[plain] = call([env[a[1]] for a in args], "value")
        return memo[plain]
    if key not in memo:
        memo[key] = call([_leaf(a[1], env, full) for a in args], "jet")
    out = memo[key]
    if not isinstance(out, Jet):
        if basis is not None:
            raise SpecError(f"{p[1]}() gives values only: an expression may not differentiate "
                            "it", key=p[1])
        return out
    if basis is None:
        return out.value
    return Jet([out.parts[full.position[a]] for a in basis.indices], basis)


@lru_cache(maxsize=256)
def _basis(dim: int, indices: tuple) -> JetBasis:
    return JetBasis(dim, indices)


def _derivative(m: tuple, child: tuple, env, basis, memo, dim):
    """Components ``a`` of ``d^m child`` for ``a`` in ``basis`` (or the value if ``None``)."""
    outer = basis.indices if basis is not None else [()]
    inner = _basis(dim, tuple(sorted({tuple(sorted(a + m)) for a in outer})))
    value = run(child, env, inner, memo, dim)
    if not isinstance(value, Jet):  # a constant: every derivative vanishes
        zero = 0.0 * _value(value)
        return zero if basis is None else Jet([value * 0.0] * len(basis), basis)
    parts = [value.d(a + m) for a in outer]
    return parts[0] if basis is None else Jet(parts, basis)


def _leaf(sym, env, basis: JetBasis) -> Jet | float:
    """A field (its derivative components) or a parameter (a constant) on ``basis``."""
    if sym.kind == "field":
        return Jet([env[k] for k in _shifted(sym, tuple(basis.indices))], basis)
    return env[sym]


@lru_cache(maxsize=1024)
def _shifted(sym, indices: tuple) -> list:
    """The symbols of ``sym``'s derivatives ``a + index`` for ``a`` in ``indices``."""
    return [type(sym)("field", sym.name, tuple(sorted(a + sym.index))) for a in indices]


def _coordinate(v, position: int, basis: JetBasis) -> Jet:
    """The coordinate at ``position`` with values ``v``: unit first derivative, no other."""
    v = torch.as_tensor(v)
    k = basis.position.get((position,))
    parts = [v] + [torch.zeros_like(v)] * (len(basis) - 1)
    if k is not None:
        parts[k] = torch.ones_like(v)
    return Jet(parts, basis)


def _value(x):
    return x.value if isinstance(x, Jet) else x


def _compare(o: str, a, b):
    if not (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        a = torch.as_tensor(a)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[o]


def apply(name: str, *args):
    """A built-in function of numbers, tensors or jets."""
    if name in _PLAIN and all(isinstance(a, (int, float)) for a in args):
        return _PLAIN[name](*args)  # of constants (parameters): no tensors per pass
    if name == "where":
        return where(*args)
    if name == "heaviside":
        return torch.as_tensor(_value(args[0]) >= 0, dtype=torch.get_default_dtype()) * 1.0
    if name in ("max", "min"):
        a, b = args
        if not isinstance(a, Jet) and not isinstance(b, Jet):  # one operation, not five
            if not torch.is_tensor(a):
                a, b = b, a
            if not torch.is_tensor(b):
                return (torch.clamp_min if name == "max" else torch.clamp_max)(a, b)
            return (torch.maximum if name == "max" else torch.minimum)(a, b)
        pick = _compare(">=" if name == "max" else "<=", _value(a), _value(b))
        return where(pick, a, b)
    if name == "clip":
        x, lo, hi = args
        return apply("min", apply("max", x, lo), hi)
    x = args[0]
    if isinstance(x, Jet):
        return getattr(x, name)()
    if not isinstance(x, torch.Tensor):  # a constant: double precision whatever the default dtype
        try:
            if name == "sigmoid":
                return 1.0 / (1.0 + math.exp(-x))
            return abs(x) if name == "abs" else getattr(math, name)(x)
        except (ValueError, OverflowError):  # log(-1), exp(1000): as torch would give
            return float(getattr(torch, name)(torch.tensor(float(x), dtype=torch.float64)))
    return getattr(torch, name)(x)


_PLAIN = {"max": max, "min": min, "clip": lambda x, lo, hi: min(max(x, lo), hi),
          "where": lambda c, a, b: a if c else b,
          "heaviside": lambda x: 1.0 if x >= 0 else 0.0}


def where(cond, a, b):
    """``a`` where ``cond`` holds, else ``b`` (jets component-wise)."""
    if isinstance(a, Jet) or isinstance(b, Jet):
        ref = a if isinstance(a, Jet) else b
        return ref._lift(a).where(cond, ref._lift(b))
    return torch.where(torch.as_tensor(cond), torch.as_tensor(a), torch.as_tensor(b))
