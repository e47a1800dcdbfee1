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

The derivative of any expression: ``diff(k*u_x, x)`` or, the same, ``(k*u_x)_x`` (the
conservative or flux form); ``diff(e, x, t)`` is mixed. Definitions (named sub-expressions
given in the namespace, e.g. ``rho = "rho_in*s_L/u"``) are used by name, and may be
differentiated like any expression. Plug-ins add named functions (``cp(T)``) through the
namespace.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations_with_replacement

import torch

from ..errors import SpecError
from .evaluate import MEMO
from .evaluate import run as _run

#: built-in functions and their number of arguments (``diff``: an expression, then coordinates)
FUNCTIONS = {
    "sin": 1, "cos": 1, "tan": 1, "exp": 1, "log": 1, "sqrt": 1, "tanh": 1, "sinh": 1,
    "cosh": 1, "abs": 1, "sigmoid": 1, "erf": 1, "heaviside": 1, "where": 3, "max": 2,
    "min": 2, "clip": 3, "diff": None,
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

    def __post_init__(self):  # symbols key every environment lookup: hash once
        object.__setattr__(self, "_hash", hash((self.kind, self.name, self.index)))

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self):  # string hashes differ between processes: rebuild, never copy
        return type(self), (self.kind, self.name, self.index)

    def label(self, coords: Sequence[str]) -> str:
        if self.kind != "field" or not self.index:
            return self.name
        return self.name + "_" + "".join(coords[i] for i in self.index)


@dataclass(frozen=True)
class PluginFunction:
    """A function a plug-in adds to the language: ``fn(*args)`` of numbers, tensors or jets
    (``arity`` arguments; ``None``: any number), with a one-line description for ``check``.
    A function of fields alone is evaluated once per environment, on its whole jet (the
    derivative operators then read their components from it); ``jets = False``: on values only,
    never differentiated; ``order_loss = k``: a function of the fields' derivatives too (a
    diffusive flux), whose jet holds k orders fewer; ``shares = name``: the functions of one
    plug-in that compute several properties of the same state (a gas mixture) receive, as
    keyword ``state``, one dict per evaluation pass and argument list, where they keep what
    the others can reuse (the evaluator owns it, so nothing outlives the pass); ``compiles =
    False``: ``torch.compile`` cannot trace it whole, and a loss using it runs eagerly."""

    name: str
    fn: Callable
    arity: int | None = 1
    doc: str = ""
    jets: bool = True  # accepts jets (then derivatives of expressions using it work)
    order_loss: int = 0  # its jet is valid to this many orders below its inputs' (a flux)
    shares: str | None = None  # functions with this name share a per-pass ``state`` dict
    compiles: bool = True  # torch.compile traces it without graph breaks


@dataclass
class Namespace:
    """The names an expression may use: coordinates, fields, parameters, definitions (compiled
    expressions) and plug-in functions, all by name."""

    coords: Sequence[str]
    fields: Sequence[str]
    params: Sequence[str] = ()
    extra: Mapping[str, float] = field(default_factory=dict)
    definitions: Mapping[str, Expression] = field(default_factory=dict)
    functions: Mapping[str, PluginFunction] = field(default_factory=dict)

    def resolve(self, name: str) -> Symbol | float | Expression | None:
        if name in self.coords:
            return Symbol("coord", name)
        if name in self.fields:
            return Symbol("field", name)
        if name in self.params:
            return Symbol("param", name)
        if name in self.definitions:
            return self.definitions[name]
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
                 file: str | None = None, key: str | None = None, dim: int = 0):
        self.text = text
        self.program = program
        self.symbols = symbols
        self.file, self.key, self.dim = file, key, dim

    @property
    def derivatives(self) -> set[Symbol]:
        return {s for s in self.symbols if s.kind == "field"}

    def needed(self) -> set[Symbol]:
        """Every field component an evaluation reads: :attr:`derivatives` and, per field,
        their lower-order parts (what a derivative operator's jet mode looks up)."""
        from ..jet import closure

        out = set()
        for f in {s.name for s in self.derivatives}:
            idx = [s.index for s in self.derivatives if s.name == f]
            out |= {Symbol("field", f, i) for i in closure(self.dim, idx)}
        return out

    @property
    def params(self) -> set[str]:
        return {s.name for s in self.symbols if s.kind == "param"}

    def evaluate(self, env: Mapping[Symbol, object]):
        """Evaluate with ``env`` mapping each symbol to a tensor, a float or a :class:`Jet`.

        Shapes broadcast as in torch; the result has the broadcast shape of the inputs. The
        field derivatives in :attr:`derivatives` must all be in ``env``.
        """
        return _run(self.program, env, memo=env.get(MEMO), dim=self.dim)

    def constant(self) -> float:
        """The value of an expression without symbols (a finite real number, else an
        error naming the file and key)."""
        if self.symbols:
            names = ", ".join(sorted(s.name for s in self.symbols))
            raise SpecError(f"must be a constant, but {self.text!r} uses {names}",
                            file=self.file, key=self.key)
        return _finite(_run(self.program, {}, dim=self.dim), self.text, self.file, self.key)

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
    source = _desugar(text.replace("^", "**"), namespace)
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
    return Expression(text, program, symbols, file=file, key=key, dim=len(namespace.coords))


_SUFFIX = re.compile(r"\)_([A-Za-z][A-Za-z0-9_]*)")


def _desugar(text: str, ns: Namespace) -> str:
    """``(e)_x`` → ``diff((e), x)`` and ``f(e)_x`` → ``diff(f(e), x)`` where the suffix is a run of
    coordinates (anything else is left for the parser to report)."""
    start = 0
    for _ in range(MAX_LENGTH):
        m = _SUFFIX.search(text, start)
        if m is None:
            return text
        index = ns._split_coords(m.group(1))
        close, depth, i = m.start(), 0, m.start()
        while i >= 0:
            depth += {")": 1, "(": -1}.get(text[i], 0)
            if depth == 0:
                break
            i -= 1
        if index is None or i < 0:
            start = m.end()
            continue
        while i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"):
            i -= 1  # a function call: differentiate the call
        coords = ", ".join(ns.coords[k] for k in index)
        text = f"{text[:i]}diff({text[i:close + 1]}, {coords}){text[m.end():]}"
    return text


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
    dim = len(ns.coords)

    def fail(msg: str):
        raise SpecError(f"{msg} in {_clip(text)!r}", file=file, key=key)

    def need(sym: Symbol, shift: tuple) -> Symbol:
        """Record ``sym`` (shifted by the derivative operators around it)."""
        if sym.kind == "field":
            sym = Symbol("field", sym.name, tuple(sorted(sym.index + shift)))
            if len(sym.index) > MAX_ORDER:
                fail(f"a derivative of order {len(sym.index)} (at most {MAX_ORDER})")
        symbols.add(sym)
        return sym

    def fold(p: tuple) -> tuple:
        """Evaluate an operation on constants now (so 1/0 or (-1)**0.5 fail here, naming the
        key, not in the middle of training)."""
        args = {"bin": p[2:], "neg": p[1:], "call": p[2] if p[0] == "call" else ()}[p[0]]
        if args and all(a[0] == "num" for a in args):
            try:
                return ("num", _finite(_run(p, {}, dim=dim), text, file, key))
            except (ArithmeticError, ValueError, TypeError):
                fail("a constant part has no finite real value")
        return p

    def walk(n, depth: int = 0, shift: tuple = ()) -> tuple:
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
            if isinstance(sym, Expression):  # a definition: its symbols, shifted
                for s in sym.symbols:
                    need(s, shift)
                return ("def", n.id, sym.program)
            if sym.kind == "coord":
                return ("coord", need(sym, shift), list(ns.coords).index(sym.name))
            need(sym, shift)
            return ("sym", sym)
        if isinstance(n, ast.BinOp) and type(n.op) in _BINOPS:
            return fold(("bin", _BINOPS[type(n.op)], walk(n.left, d, shift),
                         walk(n.right, d, shift)))
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, (ast.USub, ast.UAdd)):
            inner = walk(n.operand, d, shift)
            return fold(("neg", inner)) if isinstance(n.op, ast.USub) else inner
        if isinstance(n, ast.Compare):
            if len(n.ops) != 1 or type(n.ops[0]) not in _CMPOPS:
                fail("only single comparisons <, <=, >, >= are allowed")
            return ("cmp", _CMPOPS[type(n.ops[0])], walk(n.left, d, shift),
                    walk(n.comparators[0], d, shift))
        if isinstance(n, ast.Call):
            if not isinstance(n.func, ast.Name):
                fail("only plain function calls are allowed")
            name = n.func.id
            if n.keywords:
                fail(f"keyword arguments are not allowed in {name}()")
            if name == "diff":
                return derivative(n, d, shift)
            plugin = ns.functions.get(name)
            if name not in FUNCTIONS and plugin is None:
                known = sorted([*FUNCTIONS, *ns.functions])
                fail(f"unknown function {name!r} (known: {', '.join(known)})")
            want = plugin.arity if plugin is not None else FUNCTIONS[name]
            if want is not None and len(n.args) != want:
                fail(f"{name}() takes {want} argument(s), got {len(n.args)}")
            args = tuple(walk(a, d, shift) for a in n.args)
            if plugin is not None:
                for a in args if plugin.order_loss else ():  # it reads the fields' derivatives
                    if a[0] == "sym" and a[1].kind == "field":
                        for extra in combinations_with_replacement(range(dim), plugin.order_loss):
                            need(a[1], extra)
                return ("fn", name, plugin, args)
            return fold(("call", name, args))
        fail(f"unsupported syntax ({type(n).__name__})")

    def derivative(n, depth: int, shift: tuple) -> tuple:
        """``diff(expr, x, ...)``: the derivative of ``expr`` in the named coordinates."""
        if len(n.args) < 2 or not all(isinstance(a, ast.Name) and a.id in ns.coords
                                      for a in n.args[1:]):
            fail("diff(expression, coordinate, ...) differentiates in named coordinates "
                 f"({', '.join(ns.coords)})")
        index = tuple(sorted(list(ns.coords).index(a.id) for a in n.args[1:]))
        if len(index) + len(shift) > MAX_ORDER:
            fail(f"derivatives of total order above {MAX_ORDER}")
        child = walk(n.args[0], depth, tuple(sorted(shift + index)))
        return ("d", index, child) if child[0] != "num" else ("num", 0.0)

    return walk(node)


def _hint(name: str, ns: Namespace) -> str:
    known = [*ns.coords, *ns.fields, *ns.params, *ns.definitions]
    near = [k for k in known if k.lower() == name.lower()]
    if near:
        return f" (did you mean {near[0]!r}?)"
    return f" (known: {', '.join(known)})"
