"""The flame physics behind the ``cantera`` plug-in and the flame references.

Every flame is a core-language spec (``problems/flames/``) solved by ``pinnlab.solve``; this
package holds what spec text cannot express. Submodules (imported on demand; torch and cantera
load only there):

* :mod:`~pinnlab.flames.mechanism`: the ``cantera`` plug-in (a mechanism's properties, rates and
  fluxes as functions of the spec's fields);
* :mod:`~pinnlab.flames.gas`, :mod:`~pinnlab.flames.kinetics`, :mod:`~pinnlab.flames.ops`:
  differentiable thermo, transport and kinetics of a Cantera mechanism, on tensors and on the
  core engine's 1-D jets alike;
* :mod:`~pinnlab.flames.cantera_ref`: Cantera's FreeFlame and CounterflowPremixedFlame (the
  ``cantera_free_flame`` and ``cantera_counterflow`` references);
* :mod:`~pinnlab.flames.simple`, :mod:`~pinnlab.flames.shooting`: the simplified-physics flame of
  FlamePINN-1D Case 1 and its shooting reference (``flame_shooting``).
"""
