"""FlamePINN-1D: physics-informed solves of 1D premixed laminar flames, checked against Cantera.

Submodules (imported on demand; torch and cantera load only there):

* :mod:`~pinnlab.flames.simple`, :mod:`~pinnlab.flames.shooting`: Case 1 physics and its shooting
  reference (registered as the ``flame_shooting`` reference; Case 1 itself is a core-language
  spec, ``problems/flames/case1_forward.toml``);
* :mod:`~pinnlab.flames.gas`, :mod:`~pinnlab.flames.kinetics`: differentiable thermo, transport and
  kinetics of a Cantera mechanism;
* :mod:`~pinnlab.flames.ops` (tensors and the core engine's 1-D jets alike),
  :mod:`~pinnlab.flames.nets`, :mod:`~pinnlab.flames.training`: networks and the optimiser
  driver of Cases 2 and 3;
* :mod:`~pinnlab.flames.spec`, :mod:`~pinnlab.flames.cli`: case files and ``pinnlab flame``.
"""
