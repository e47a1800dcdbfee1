"""Lazy public names for a package: ``import pinnlab`` (or a subpackage) imports no torch;
each name loads its module on first use.

    __getattr__, __all__ = lazy.exports(__name__, {"solve": ".api", "interface_mask":
                                                   "..spec.decomposition:parse_interface_conditions"})

A value is ``"module"`` (the attribute has the public name) or ``"module:attribute"``; a module
is absolute or relative to the package.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def exports(package: str, table: dict[str, str]) -> tuple[Callable[[str], object], list[str]]:
    """The module-level ``__getattr__`` serving ``table`` for ``package``, and its
    ``__all__``."""

    def __getattr__(name: str):
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, _, attr = table[name].partition(":")
        return getattr(importlib.import_module(module, package), attr or name)

    return __getattr__, sorted(table)
