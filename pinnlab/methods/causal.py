"""Causal weighting of a time-dependent residual (Wang, Sankaran & Perdikaris 2024).

The residual points are split along time into ``m`` chunks; ``L_i`` is the mean squared residual
of chunk ``i``. The weighted term is ``mean_i w_i L_i`` with ``w_i = exp(-ε Σ_{k<i} L_k / L₀)``
(no gradient through ``w``), so later times count only once earlier ones are fitted. ``L₀`` is
the scale the weights are measured in: with ``causal_scale = "initial"`` (default) the mean
chunk loss of each residual term for the initial network on the initial points (``ε`` is then
in units of the starting residual, whatever the equation's scale, and every weight tends to 1
as the residual falls); ``"none"``: 1 (Wang et al.'s form, which needs ``ε`` matched to the
residual scale).
"""

from __future__ import annotations

import torch


class CausalWeights:
    """``weights(time, r, name)``: the causal term of residual ``r (N,)`` at times ``time
    (N,)``, for the residual term ``name``; ``lo, hi``: the time interval; ``chunks`` ``m``;
    ``eps`` ``ε``."""

    def __init__(self, lo: float, hi: float, chunks: int, eps: float):
        self.lo, self.hi, self.chunks, self.eps = lo, hi, chunks, eps
        self.scale: dict[str, torch.Tensor] = {}  # L₀ per residual term

    def chunk_losses(self, time: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """Mean squared residual per time chunk, ``(chunks,)``."""
        m = self.chunks
        chunk = ((time - self.lo) / (self.hi - self.lo) * m).long().clamp(0, m - 1)
        sums = torch.zeros(m, dtype=r.dtype, device=r.device).index_add(0, chunk, r**2)
        counts = torch.bincount(chunk, minlength=m).clamp_min(1).to(r.dtype)
        return sums / counts

    def calibrate(self, name: str, time: torch.Tensor, r: torch.Tensor) -> None:
        """Set ``L₀`` of term ``name`` from its initial residual (``causal_scale =
        "initial"``)."""
        with torch.no_grad():
            loss = self.chunk_losses(time, r)
        self.scale[name] = loss.mean().clamp_min(torch.finfo(loss.dtype).tiny)

    def __call__(self, time: torch.Tensor, r: torch.Tensor, name: str) -> torch.Tensor:
        chunk_loss = self.chunk_losses(time, r)
        before = torch.cumsum(chunk_loss.detach(), 0) - chunk_loss.detach()
        if name in self.scale:
            before = before / self.scale[name]
        w = torch.exp(-self.eps * before)
        return (w * chunk_loss).mean()
