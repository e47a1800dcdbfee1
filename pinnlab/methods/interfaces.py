"""The nine interface terms that join the networks of two neighbouring subdomains.

On interface points ``X`` (``(n, d)``) between the networks ``u₁`` (low side) and ``u₂``, with
PDE residuals ``r₁, r₂`` (``(n, E)``, one column per equation), each term is a mean square
(``x`` is the first coordinate, ``y`` the second, ``n`` the interface normal):

============================  =========================================================
``solution_continuity``       ``⟨(u₁ − u₂)²⟩``
``average_solution``          ``⟨(u₁ − ū)²⟩ + ⟨(u₂ − ū)²⟩``, ``ū = (u₁ + u₂)/2``
``interface_residual``        ``⟨r₁²⟩ + ⟨r₂²⟩``
``residual_continuity``       ``⟨(r₁ − r₂)²⟩``
``flux_continuity``           ``⟨(F₁ − F₂)²⟩``, ``F`` the flux normal to the interface
``d2y_continuity``            ``⟨(∂_yy u₁ − ∂_yy u₂)²⟩``
``gradient_residual``         ``Σ_i ⟨(∂_x r_i)² + (∂_y r_i)²⟩`` (gPINN on the interface)
``dx_continuity``             ``⟨(∂_x u₁ − ∂_x u₂)²⟩``
``d2x_continuity``            ``⟨(∂_xx u₁ − ∂_xx u₂)²⟩``
============================  =========================================================

The flux ``F`` is the spec's ``[decomposition] flux.<n>`` expression when given (e.g. Burgers
``u²/2 − ν u_x`` across ``x = const``); otherwise the field itself across a time line (the
conservative form ``∂_t u + ∇·F = s``) and the normal derivative ``∂_n u`` across a space line.
"""

from __future__ import annotations

import torch

from ..jet import Jet
from ..losses import _equation_residual
from ..sampling import BoxSampler
from ..spec.decomposition import INTERFACE_TERMS, Interface
from ..spec.problem import Problem


class InterfaceTerms:
    """Interface points and the terms of one interface face."""

    def __init__(self, problem: Problem, face: Interface, n_points: int, *, dtype=None,
                 device=None):
        self.problem, self.face, self.n_points = problem, face, n_points
        fixed = {face.normal: face.position}
        self.sample = BoxSampler(face.extent, fixed, dtype=dtype, device=device)
        self.equations = list(problem.compiled_equations().values())
        self._equation_fns = [_equation_residual(problem, e) for e in self.equations]
        self.normal = problem.coords.index(face.normal)
        flux_text = (problem.decomposition.flux.get(face.normal)
                     if problem.decomposition else None)
        self.flux = (problem.expression(flux_text, f"decomposition.flux.{face.normal}")
                     if flux_text else None)
        self._flux_fn = _equation_residual(problem, self.flux) if self.flux else None
        self._eq_indices = {s.index for e in self.equations for s in e.derivatives}
        self._flux_indices = {s.index for s in self.flux.derivatives} if self.flux else set()
        self.points: torch.Tensor | None = None

    def indices(self, active: set[str]) -> set[tuple[int, ...]]:
        """The derivative multi-indices the ``active`` terms need from each network."""
        out = {()}
        if active & {"interface_residual", "residual_continuity", "gradient_residual"}:
            out |= self._eq_indices
        if "flux_continuity" in active:
            out |= self._flux_indices if self.flux else {(self.normal,)}
        d = len(self.problem.coords)
        for name, idx in (("d2y_continuity", (1, 1)), ("dx_continuity", (0,)),
                          ("d2x_continuity", (0, 0))):
            if name in active and max(idx) < d:
                out.add(idx)
        return out

    def losses(self, x: torch.Tensor, j1: Jet, j2: Jet, params: dict, active: set[str]
               ) -> dict[str, torch.Tensor]:
        """``{term: loss}`` for the ``active`` terms from the two networks' jets at the
        interface points ``x`` (which must require grad for ``gradient_residual``)."""
        out: dict[str, torch.Tensor] = {}
        u1, u2 = j1.value, j2.value
        if "solution_continuity" in active:
            out["solution_continuity"] = ((u1 - u2) ** 2).mean()
        if "average_solution" in active:
            avg = 0.5 * (u1 + u2)
            out["average_solution"] = ((u1 - avg) ** 2).mean() + ((u2 - avg) ** 2).mean()
        if active & {"interface_residual", "residual_continuity", "gradient_residual"}:
            r1, r2 = self._residuals(x, j1, params), self._residuals(x, j2, params)
            if "interface_residual" in active:
                out["interface_residual"] = (r1**2).mean() + (r2**2).mean()
            if "residual_continuity" in active:
                out["residual_continuity"] = ((r1 - r2) ** 2).mean()
            if "gradient_residual" in active:
                out["gradient_residual"] = _gradient_term(x, r1) + _gradient_term(x, r2)
        if "flux_continuity" in active:
            f1, f2 = self._flux(x, j1, params), self._flux(x, j2, params)
            out["flux_continuity"] = ((f1 - f2) ** 2).mean()
        for name, idx in (("d2y_continuity", (1, 1)), ("dx_continuity", (0,)),
                          ("d2x_continuity", (0, 0))):
            if name in active:
                if idx in j1.basis.position:
                    out[name] = ((j1.d(idx) - j2.d(idx)) ** 2).mean()
                else:  # a 1-D problem has no second coordinate
                    out[name] = u1.new_zeros(())
        return out

    def _residuals(self, x, jet, params) -> torch.Tensor:
        return torch.stack([f(x, jet, params) for f in self._equation_fns], 1)

    def _flux(self, x, jet, params) -> torch.Tensor:
        if self._flux_fn is not None:
            return self._flux_fn(x, jet, params)
        if self.problem.time == self.face.normal:
            return jet.value
        return jet.d((self.normal,))


def _gradient_term(x: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """``Σ_e ⟨|∇_{x,y} r_e|²⟩`` by reverse mode through the jets (first two coordinates)."""
    total = x.new_zeros(())
    for e in range(r.shape[1]):
        (g,) = torch.autograd.grad(r[:, e].sum(), x, create_graph=True)
        total = total + (g[:, :2] ** 2).sum(1).mean()
    return total


def active_terms(mask) -> set[str]:
    """The names switched on by a 9-bit mask."""
    return {n for n, b in zip(INTERFACE_TERMS, mask) if b}
