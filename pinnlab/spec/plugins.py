"""Plug-ins: physics that equation text cannot express, added to the one spec language by name.

A spec names its plug-ins in ``[plugins.<name>]`` tables with a registered ``kind``::

    [plugins.gas]
    kind = "cantera"                      # a Cantera mechanism: thermo, transport, kinetics
    mechanism = "ch4_one_step.yaml"       # the plug-in's own options sit beside ``kind``

A plug-in contributes, all by name and visible to ``pinnlab check``:

* **functions** the expressions may call (``gas_cp(T, Y_CH4, ...)``), pointwise functions of
  tensors and of the engine's jets, so derivatives of expressions that use them work;
* **parameters**: known constants (a molar mass ``W_CH4``, an inlet state ``T_in``);
* **definitions**: named sub-expressions placed before the spec's own (``cp = "gas_cp(T, ...)"``).

A new kind registers a builder with :func:`register`; it never touches the loader. Builders
validate their options (unknown keys and wrong types are one-line errors naming
``plugins.<name>.<key>``) and read data files only through :func:`pinnlab.io.data_file`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import SpecError
from ..expr.syntax import PluginFunction


@dataclass
class Contribution:
    """What one plug-in adds to a spec (see the module docstring)."""

    functions: dict[str, PluginFunction] = field(default_factory=dict)
    parameters: dict[str, float] = field(default_factory=dict)
    definitions: dict[str, str] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)  # by plug-in name, e.g. a mechanism


@dataclass(frozen=True)
class Context:
    """Where a plug-in may read files: the spec's folder and the folders the user named, and
    the spec's fields (a plug-in checks the names it needs)."""

    source: str
    directory: str
    data_dirs: tuple[str, ...]
    fields: tuple[str, ...]
    coords: tuple[str, ...]
    parameters: tuple[str, ...] = ()


Builder = Callable[[str, dict, Context], Contribution]

#: kind -> "module:function" (imported on first use) or a builder
PLUGINS: dict[str, str | Builder] = {"cantera": "pinnlab.flames.mechanism:build"}


def register(kind: str, builder: str | Builder) -> None:
    """Make ``kind`` available to ``[plugins.<name>]`` tables."""
    PLUGINS[kind] = builder


def _builder(kind: str, key: str, source: str) -> Builder:
    if kind not in PLUGINS:
        raise SpecError(f"unknown plug-in kind {kind!r} (known: {', '.join(sorted(PLUGINS))})",
                        file=source, key=key)
    b = PLUGINS[kind]
    if isinstance(b, str):
        module, name = b.split(":")
        b = getattr(importlib.import_module(module), name)
    return b


def resolve(tables: dict[str, dict], ctx: Context) -> Contribution:
    """Build every plug-in of a spec and merge their contributions; names must not clash."""
    total = Contribution()
    for name, table in tables.items():
        key = f"plugins.{name}"
        if not name.isidentifier():
            raise SpecError("a plug-in's name must be a plain identifier", file=ctx.source,
                            key=key)
        if not isinstance(table, dict) or not isinstance(table.get("kind"), str):
            raise SpecError("needs a kind (a registered plug-in)", file=ctx.source,
                            key=f"{key}.kind")
        part = _builder(table["kind"], f"{key}.kind", ctx.source)(name, table, ctx)
        for what in ("functions", "parameters", "definitions", "objects"):
            mine, new = getattr(total, what), getattr(part, what)
            clash = sorted(set(mine) & set(new))
            if clash:
                raise SpecError(f"{what} {clash} are given by two plug-ins", file=ctx.source,
                                key=key)
            mine.update(new)
    return total


def merge(user: dict, given: dict, what: str, source: str) -> dict:
    """The plug-ins' entries first, then the spec's own; a name in both is an error."""
    clash = sorted(set(user) & set(given))
    if clash:
        raise SpecError(f"{clash} are already defined by a plug-in; choose other names",
                        file=source, key=f"{what}.{clash[0]}")
    return {**given, **user}
