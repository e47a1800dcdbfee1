"""Safe compilation of equation text into functions of fields, derivatives and parameters.

Equation text such as ``u_t + u*u_x - nu*u_xx`` is parsed by Python's :mod:`ast` parser (which
only builds a tree and never runs anything) and then checked against a whitelist: numbers,
names, ``+ - * / ** ^``, unary minus, comparisons inside ``where``, and calls of the functions in
:data:`FUNCTIONS`. Anything else (attributes, subscripts, lambdas, keywords, strings) is rejected
with an error that names the file, the key and the offending token. The accepted tree is turned
into a small tuple-based program and evaluated by :meth:`Expression.evaluate`; no user text ever
reaches ``eval`` or ``exec``.

Derivative notation: ``<field>_<coords>`` where ``<coords>`` is a run of coordinate names,
e.g. ``u_x``, ``u_xx``, ``u_xt``, ``T_xx``, ``Y_CH4_x`` (a field whose own name contains an
underscore is matched first). Mixed derivatives are symmetric: ``u_tx`` is ``u_xt``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch

from .errors import SpecError

FUNCTIONS = {
    "sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "sinh", "cosh", "abs", "sigmoid",
    "erf", "where", "heaviside",
}
CONSTANTS = {"pi": math.pi, "e": math.e}
MAX_LENGTH = 2000   # characters of one expression
MAX_DEPTH = 64      # nesting of operations in one expression
MAX_ORDER = 8       # total order of one derivative (u_xxxx is 4)


@dataclass(frozen=True)
class Symbol:
    """A name an expression refers to.

    ``kind`` is ``"coord"``, ``"field"`` (with ``index``: the derivative multi-index as sorted
    coordinate positions, ``()`` for the field itself) or ``"param"``.
    """

    kind: str
    name: str
    index: tuple[int, ...] = ()

    def label(self, coords: Sequence[str]) -> str:
        if self.kind != "field" or not self.index:
            return self.name
        return self.name + "_" + "".join(coords[i] for i in self.index)


@dataclass
class Namespace:
    """The names an expression may use: coordinates, fields, parameters (all by name)."""

    coords: Sequence[str]
    fields: Sequence[str]
    params: Sequence[str] = ()
    extra: Mapping[str, float] = field(default_factory=dict)

    def resolve(self, name: str) -> Symbol | float | None:
        if name in self.coords:
            return Symbol("coord", name)
        if name in self.fields:
            return Symbol("field", name)
        if name in self.params:
            return Symbol("param", name)
        if name in self.extra:
            return float(self.extra[name])
        if name in CONSTANTS:
            return CONSTANTS[name]
        # derivative notation: the longest field name that prefixes "name_"
        for f in sorted(self.fields, key=len, reverse=True):
            if name.startswith(f + "_"):
                index = self._split_coords(name[len(f) + 1 :])
                if index is not None:
                    return Symbol("field", f, tuple(sorted(index)))
        return None

    def _split_coords(self, suffix: str) -> list[int] | None:
        """Split ``suffix`` into coordinate names, optionally separated by ``_`` (longest
        name first where several splits exist); ``None`` if it is no such run. Dynamic
        programming over the positions, so any length is safe."""
        if not suffix:
            return None
        names = sorted(self.coords, key=len, reverse=True)
        n = len(suffix)
        # nxt[i]: (coordinate index, next position) of a valid split of suffix[i:], or None
        nxt: list[tuple[int, int] | None] = [None] * (n + 1)
        ok = [False] * (n + 1)
        ok[n] = True
        for i in range(n - 1, -1, -1):
            for c in names:
                j = i + len(c)
                if suffix.startswith(c, i):
                    k = j + 1 if j < n and suffix[j] == "_" and j + 1 < n else j
                    if ok[k]:
                        ok[i], nxt[i] = True, (self.coords.index(c), k)
                        break
        if not ok[0]:
            return None
        out, i = [], 0
        while i < n:
            c, i = nxt[i]
            out.append(c)
        return out


class Expression:
    """A compiled expression.

    Attributes:
        text: the source text.
        symbols: every :class:`Symbol` the expression refers to.
        derivatives: the field symbols (with multi-indices) it needs.
    """

    def __init__(self, text: str, program: tuple, symbols: set[Symbol], *,
                 file: str | None = None, key: str | None = None):
        self.text = text
        self.program = program
        self.symbols = symbols
        self.file, self.key = file, key

    @property
    def derivatives(self) -> set[Symbol]:
        return {s for s in self.symbols if s.kind == "field"}

    @property
    def params(self) -> set[str]:
        return {s.name for s in self.symbols if s.kind == "param"}

    def evaluate(self, env: Mapping[Symbol, object]):
        """Evaluate with ``env`` mapping each symbol to a tensor, a float or a :class:`Jet`.

        Shapes broadcast as in torch; the result has the broadcast shape of the inputs.
        """
        return _run(self.program, env)

    def constant(self) -> float:
        """The value of an expression without symbols (a finite real number, else an
        error naming the file and key)."""
        if self.symbols:
            names = ", ".join(sorted(s.name for s in self.symbols))
            raise SpecError(f"must be a constant, but {self.text!r} uses {names}",
                            file=self.file, key=self.key)
        return _finite(_run(self.program, {}), self.text, self.file, self.key)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"


def compile_expression(
    text: str | float | int, namespace: Namespace, *, file: str | None = None,
    key: str | None = None,
) -> Expression:
    """Parse ``text`` against ``namespace``; raise :class:`SpecError` naming file, key, token."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise SpecError(f"expected an expression (text or number), got {type(text).__name__}",
                        file=file, key=key)
    text = str(text)
    if len(text) > MAX_LENGTH:
        raise SpecError(f"expression longer than {MAX_LENGTH} characters", file=file, key=key)
    source = text.replace("^", "**")
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError as exc:
        token = (exc.text or source)[max((exc.offset or 1) - 1, 0):].strip()[:20]
        raise SpecError(f"cannot parse {_clip(text)!r} near {token!r}", file=file,
                        key=key) from None
    except (RecursionError, MemoryError, ValueError):
        raise SpecError(f"expression nested more deeply than {MAX_DEPTH} levels", file=file,
                        key=key) from None
    symbols: set[Symbol] = set()
    program = _translate(tree.body, namespace, symbols, text, file, key)
    return Expression(text, program, symbols, file=file, key=key)


def _clip(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[:n - 3] + "..."


def _finite(value, text: str, file, key) -> float:
    """``value`` as a finite real float, else a :class:`SpecError`."""
    if isinstance(value, torch.Tensor):
        value = value.item() if value.numel() == 1 else complex("nan")
    if isinstance(value, complex) or not math.isfinite(float(value)):
        raise SpecError(f"{_clip(text)!r} has no finite real value", file=file, key=key)
    return float(value)


_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}


def _translate(node, ns: Namespace, symbols: set, text: str, file, key) -> tuple:
    def fail(msg: str):
        raise SpecError(f"{msg} in {_clip(text)!r}", file=file, key=key)

    def fold(p: tuple) -> tuple:
        """Evaluate an operation on constants now (so 1/0 or (-1)**0.5 fail here, naming the
        key, not in the middle of training)."""
        args = {"bin": p[2:], "neg": p[1:], "call": p[2] if p[0] == "call" else ()}[p[0]]
        if args and all(a[0] == "num" for a in args):
            try:
                return ("num", _finite(_run(p, {}), text, file, key))
            except (ArithmeticError, ValueError, TypeError):
                fail("a constant part has no finite real value")
        return p

    def walk(n, depth: int = 0) -> tuple:
        if depth > MAX_DEPTH:
            fail(f"expression nested more deeply than {MAX_DEPTH} levels")
        d = depth + 1
        if isinstance(n, ast.Constant):
            if isinstance(n.value, bool) or not isinstance(n.value, (int, float)):
                fail(f"unsupported constant {_clip(repr(n.value), 20)}")
            try:
                value = float(n.value)
            except OverflowError:
                value = math.inf
            if not math.isfinite(value):
                fail("a number too large for a float")
            return ("num", value)
        if isinstance(n, ast.Name):
            sym = ns.resolve(n.id)
            if sym is None:
                hint = _hint(n.id, ns)
                fail(f"unknown symbol {_clip(n.id, 40)!r}{hint}")
            if isinstance(sym, float):
                return ("num", sym)
            if len(sym.index) > MAX_ORDER:
                fail(f"a derivative of order {len(sym.index)} (at most {MAX_ORDER})")
            symbols.add(sym)
            return ("sym", sym)
        if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            return fold(("bin", _BINOPS[type(n.op)], walk(n.left, d), walk(n.right, d)))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            inner = walk(n.operand, d)
            return fold(("neg", inner)) if isinstance(n.op, ast.USub) else inner
        if isinstance(n, ast.Compare):
            if len(n.ops) != 1 or type(n.ops[0]) not in _CMPOPS:
                fail("only single comparisons <, <=, >, >= are allowed")
            return ("cmp", _CMPOPS[type(n.ops[0])], walk(n.left, d),
                    walk(n.comparators[0], d))
        if isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name):
                fail("only plain function calls are allowed")
            name = n.func.id
            if name not in FUNCTIONS:
                fail(f"unknown function {name!r} (allowed: {', '.join(sorted(FUNCTIONS))})")
            if n.keywords:
                fail(f"keyword arguments are not allowed in {name}()")
            want = 3 if name == "where" else 1
            if len(n.args) != want:
                fail(f"{name}() takes {want} argument(s), got {len(n.args)}")
            return fold(("call", name, tuple(walk(a, d) for a in n.args)))
        token = ast.get_source_segment(text.replace("^", "**"), n) or type(n).__name__
        fail(f"unsupported syntax {token!r}")

    return walk(node)


def _hint(name: str, ns: Namespace) -> str:
    known = [*ns.coords, *ns.fields, *ns.params]
    near = [k for k in known if k.lower() == name.lower()]
    if near:
        return f" (did you mean {near[0]!r}?)"
    return f" (known: {', '.join(known)})"


def _apply(name: str, x):
    from .jet import Jet

    if isinstance(x, Jet):
        return getattr(x, name)()
    if not isinstance(x, torch.Tensor):  # a constant: double precision whatever the default dtype
        try:
            if name == "sigmoid":
                return 1.0 / (1.0 + math.exp(-x))
            return abs(x) if name == "abs" else getattr(math, name)(x)
        except (ValueError, OverflowError):  # log(-1), exp(1000): as torch would give
            return float(getattr(torch, name if name != "sigmoid" else "sigmoid")(
                torch.tensor(float(x), dtype=torch.float64)))
    if name == "sigmoid":
        return torch.sigmoid(x)
    return getattr(torch, name)(x)


def _run(p: tuple, env: Mapping[Symbol, object]):
    op = p[0]
    if op == "num":
        return p[1]
    if op == "sym":
        return env[p[1]]
    if op == "neg":
        return -_run(p[1], env)
    if op == "bin":
        a, b = _run(p[2], env), _run(p[3], env)
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
        return _compare(p[1], _value(_run(p[2], env)), _value(_run(p[3], env)))
    if op == "call":
        name, args = p[1], p[2]
        if name == "where":
            return _where(*(_run(a, env) for a in args))
        if name == "heaviside":
            v = _value(_run(args[0], env))
            return torch.as_tensor(v >= 0, dtype=torch.get_default_dtype()) * 1.0
        return _apply(name, _run(args[0], env))
    raise AssertionError(op)


def _value(x):
    from .jet import Jet

    return x.value if isinstance(x, Jet) else x


def _compare(o: str, a, b):
    a = torch.as_tensor(a)
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[o]


def _where(cond, a, b):
    from .jet import Jet

    if isinstance(a, Jet) or isinstance(b, Jet):
        ref = a if isinstance(a, Jet) else b
        return ref._lift(a).where(cond, ref._lift(b))
    return torch.where(cond, torch.as_tensor(a), torch.as_tensor(b))
