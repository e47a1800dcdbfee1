"""Methods: each maps a problem and its validated options to a trained
:class:`~pinnlab.result.Result`.

A method is a small registered object (:class:`Method`): the name of the module that implements
it and the options it presets. That module provides

* ``options``: its options class (a :class:`pinnlab.options.Options`);
* ``check(problem, cfg)``: the method's own rules (raise :class:`~pinnlab.errors.SpecError`),
  run by ``pinnlab check`` as well as before training;
* ``run(problem, cfg, *, seed, device, out, resume, progress) -> Result``.

Modules load on first use, so listing the methods (``pinnlab --help``) imports no torch. A
newcomer adds a method with :func:`register` without touching the others.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType


@dataclass(frozen=True)
class Method:
    """A registered method: ``module`` implements it; ``preset`` fixes some of its options."""

    name: str
    module: str
    preset: dict = field(default_factory=dict)

    def load(self) -> ModuleType:
        return importlib.import_module(self.module)


METHODS: dict[str, Method] = {}


def register(name: str, module: str, preset: dict | None = None) -> None:
    """Add (or replace) the method ``name`` implemented by ``module`` (dotted import path)."""
    METHODS[name] = Method(name, module, dict(preset or {}))


register("pinn", "pinnlab.methods.run")
register("lpinn", "pinnlab.methods.lpinn")
register("multidomain", "pinnlab.methods.multidomain")
register("xpinn", "pinnlab.methods.multidomain", {"interface_conditions": "xpinn"})
register("cpinn", "pinnlab.methods.multidomain", {"interface_conditions": "cpinn"})
register("prior", "pinnlab.methods.prior")
register("probconserv", "pinnlab.methods.probconserv")
