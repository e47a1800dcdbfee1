"""A small U-Net for 1-D or 2-D grids, conditioned on the diffusion / flow time t.

Input x of shape (batch, channels, *grid) and t of shape (batch,); output of the same shape as x.
Each
level has a residual block (GroupNorm, SiLU, 3-wide convolution, plus a projection of the sinusoidal
embedding of 1000 t), then a stride-2 convolution; the decoder upsamples by 2 (nearest) and
concatenates
the skip. Grid sizes must be divisible by 2^(levels - 1).
"""

from __future__ import annotations

import math

import torch
from torch import nn


def time_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding of 1000 t, shape (batch, dim)."""
    half = dim // 2
    k = torch.arange(half, device=t.device, dtype=t.dtype)
    freqs = torch.exp(-math.log(10_000.0) * k / half)
    arg = 1000.0 * t[:, None] * freqs[None]
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, conv, c_in: int, c_out: int, t_dim: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(min(8, c_in), c_in)
        self.norm2 = nn.GroupNorm(min(8, c_out), c_out)
        self.conv1, self.conv2 = conv(c_in, c_out, 3, padding=1), conv(c_out, c_out, 3, padding=1)
        self.temb = nn.Linear(t_dim, c_out)
        self.skip = conv(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(nn.functional.silu(self.norm1(x)))
        h = h + self.temb(emb).reshape(*h.shape[:2], *([1] * (h.dim() - 2)))
        h = self.conv2(nn.functional.silu(self.norm2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """U-Net with ``len(mults)`` levels of ``base * mult`` channels on a ``dim``-D grid."""

    def __init__(self, dim: int = 2, channels: int = 1, base: int = 32, mults=(1, 2, 2),
                 t_dim: int = 64):
        super().__init__()
        conv = {1: nn.Conv1d, 2: nn.Conv2d}[dim]
        self.dim, self.t_dim = dim, t_dim
        self.t_mlp = nn.Sequential(nn.Linear(t_dim, t_dim), nn.SiLU(), nn.Linear(t_dim, t_dim))
        self.inp = conv(channels, base, 3, padding=1)
        widths = [base * m for m in mults]
        self.down, self.pool = nn.ModuleList(), nn.ModuleList()
        c = base
        for i, w in enumerate(widths):
            self.down.append(ResBlock(conv, c, w, t_dim))
            c = w
            if i < len(widths) - 1:
                self.pool.append(conv(w, w, 3, stride=2, padding=1))
        self.mid = ResBlock(conv, c, c, t_dim)
        self.up = nn.ModuleList()
        for w in reversed(widths):
            self.up.append(ResBlock(conv, c + w, w, t_dim))
            c = w
        self.out = nn.Sequential(nn.GroupNorm(min(8, c), c), nn.SiLU(),
                                 conv(c, channels, 3, padding=1))
        nn.init.zeros_(self.out[-1].weight)
        nn.init.zeros_(self.out[-1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        emb = self.t_mlp(time_embedding(t.to(x.dtype), self.t_dim))
        h = self.inp(x)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, emb)
            skips.append(h)
            if i < len(self.pool):
                h = self.pool[i](h)
        h = self.mid(h, emb)
        for block in self.up:
            skip = skips.pop()
            if h.shape[2:] != skip.shape[2:]:
                h = nn.functional.interpolate(h, size=skip.shape[2:], mode="nearest")
            h = block(torch.cat([h, skip], 1), emb)
        return self.out(h)
