"""Dense BFGS: quasi-Newton with the full inverse-Hessian approximation, for small networks.

L-BFGS keeps ``m`` curvature pairs; BFGS keeps the whole ``n × n`` inverse-Hessian estimate
``H`` and updates it after every step ``s = x⁺ − x`` with gradient change ``y = g⁺ − g``
(Nocedal & Wright, eq. 6.17), written as a rank-two correction so one update costs ``O(n²)``::

    ρ = 1 / (yᵀs),   H⁺ = H − ρ (s (Hy)ᵀ + (Hy) sᵀ) + (ρ² yᵀHy + ρ) s sᵀ

skipped when ``yᵀs`` is not positive (the pair carries no usable curvature). The first ``H``
is ``(yᵀs / yᵀy) I`` (eq. 6.20). The self-scaled variant (``self_scaled=True``; Oren &
Luenberger 1974, restricted as in Al-Baali 1998, the SSBFGS of Urbán et al. 2025) multiplies
the old curvature by ``γ = max(1, yᵀs / yᵀHy)`` before the update,

    H⁺ = γ (H − ρ (s (Hy)ᵀ + (Hy) sᵀ) + ρ² yᵀHy s sᵀ) + ρ s sᵀ,

so an ``H`` that underestimates the inverse curvature along ``y`` grows at every step
instead of only in the one direction ``s`` (γ = 1 is plain BFGS). Only growth: shrinking
(``γ < 1``) at every step collapses the directions no new pair refreshes (measured on
Burgers: the loss stalled at 2e-3). The search direction is
``−H g`` and the step length comes from the strong-Wolfe line search of
``torch.optim.LBFGS``, whose loop, stopping tests and state counters (``n_iter``,
``func_evals``) this optimizer shares, so the trainer drives both alike. For PINNs of a few
thousand weights the full matrix is what second-order studies of PINN training found to pay
(Urbán et al. 2025, Kiyani et al. 2025); its memory, ``8 n²`` bytes in float64, limits it to
``n ≤`` :data:`MAX_PARAMETERS`.
"""

from __future__ import annotations

import torch
from torch.optim.lbfgs import _strong_wolfe

from .errors import SpecError

#: the most weights BFGS takes (the matrix: 800 MB in float64)
MAX_PARAMETERS = 10_000


class DenseBFGS(torch.optim.LBFGS):
    """BFGS with strong-Wolfe line search; the arguments are those of ``torch.optim.LBFGS``
    (``history_size`` is unused: every pair is kept, in ``H``), and ``self_scaled`` (module
    docstring)."""

    def __init__(self, params, self_scaled: bool = False, **kwargs):
        super().__init__(params, **kwargs)
        self.self_scaled = self_scaled
        check_size(sum(p.numel() for p in self._params))

    def forget_gradient(self) -> None:
        """The loss changed (new collocation points): keep ``H``, drop the last gradient, so
        no pair mixes two objectives."""
        state = self.state[self._params[0]]
        state["prev_flat_grad"] = state["d"] = None

    @torch.no_grad()
    def step(self, closure):
        """Up to ``max_iter`` BFGS iterations (``max_eval`` evaluations); returns the first
        loss."""
        closure = torch.enable_grad()(closure)
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._gather_flat_grad()
        if g.abs().max() <= tol_grad:
            return orig_loss
        H, d, t = state.get("H"), state.get("d"), state.get("t")
        g_prev, loss_prev = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if g_prev is not None and d is not None:
                H, d = _update(H, d.mul(t), g - g_prev, g, self.self_scaled)
            else:
                d = g.neg() if H is None else -(H @ g)
            g_prev, loss_prev = g.clone(memory_format=torch.contiguous_format), loss
            t = min(1.0, 1.0 / float(g.abs().sum())) * lr if H is None else lr
            gtd = float(g.dot(d))
            if gtd > -tol_change:  # not a descent direction
                break
            x0 = self._clone_param()

            def directional(x, step, direction):
                return self._directional_evaluate(closure, x, step, direction)

            loss, g, t, ls_evals = _strong_wolfe(directional, x0, t, d, loss, g, gtd)
            self._add_grad(t, d)
            evals += ls_evals
            state["func_evals"] += ls_evals
            if (n_iter == max_iter or evals >= max_eval or g.abs().max() <= tol_grad
                    or d.mul(t).abs().max() <= tol_change
                    or abs(loss - loss_prev) < tol_change):
                break
        state.update(H=H, d=d, t=t, prev_flat_grad=g_prev, prev_loss=loss_prev)
        return orig_loss


def check_size(n: int, source: str | None = None) -> None:
    """Refuse (one line, before any training) a network too large for the dense matrix."""
    if n > MAX_PARAMETERS:
        raise SpecError(f"bfgs, ssbfgs and lm keep an n x n matrix: {n} weights are more "
                        f"than {MAX_PARAMETERS}; use lbfgs or a smaller network", file=source,
                        key="training.quasi_newton")


def _update(H: torch.Tensor | None, s: torch.Tensor, y: torch.Tensor, g: torch.Tensor,
            self_scaled: bool = False) -> tuple[torch.Tensor | None, torch.Tensor]:
    """The (self-scaled) BFGS update of the inverse Hessian ``H`` (``None``: not yet scaled
    identity) by the pair ``(s, y)``, and the new direction ``−H⁺g``; ``H`` unchanged when
    ``yᵀs ≤ 0``. One
    product ``H [y g]`` and one rank-two ``addmm`` touch the matrix (it is memory, not
    arithmetic, that bounds an update): ``H⁺g`` follows from ``Hg`` and ``Hy``."""
    ys = float(y.dot(s))
    if ys <= 1e-10:
        return H, (g.neg() if H is None else -(H @ g))
    if H is None:
        H = torch.eye(s.numel(), dtype=s.dtype, device=s.device).mul_(ys / float(y.dot(y)))
    Hy, Hg = (H @ torch.stack([y, g], 1)).unbind(1)
    rho, yHy = 1.0 / ys, float(y.dot(Hy))
    gamma = max(1.0, ys / yHy) if self_scaled and yHy > 0 else 1.0
    c = gamma * rho * rho * yHy + rho
    sg = s.dot(g)
    direction = -(gamma * (Hg - rho * Hy.dot(g) * s - rho * sg * Hy) + c * sg * s)
    if gamma != 1.0:
        H.mul_(gamma)
    H.addmm_(torch.stack([s, Hy], 1), torch.stack([c * s - gamma * rho * Hy, -gamma * rho * s]))
    return H, direction
