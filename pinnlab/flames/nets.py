"""Networks for 1D flames that evaluate on jets (:class:`pinnlab.jet.Jet`) and tensors alike.

Both networks map a scaled coordinate (shape (N, 1)) to raw outputs (shape (N, n_out)) and accept
either a plain tensor or a jet, so a single pass yields the outputs and their first two derivatives.

* :class:`MLP`: tanh layers, Glorot-normal weights, zero biases.
* :class:`ModifiedMLP` (Wang, Teng & Perdikaris 2021): two encoders U = tanh(x W_u + b_u),
  V = tanh(x W_v + b_v) gate every hidden layer, H ← (1 − Z) ⊙ U + Z ⊙ V with Z = tanh(H W + b);
  optional random weight factorisation W = diag(exp(s)) V with s ~ N(mean, std).
"""

from __future__ import annotations

import torch
from torch import nn

from ..jet import Jet


def _tanh(h):
    return h.tanh() if isinstance(h, Jet) else torch.tanh(h)


def _linear(h, layer: nn.Module):
    weight, bias = layer.effective_weight(), layer.bias
    if isinstance(h, Jet):
        return h.linear(weight, bias)
    return nn.functional.linear(h, weight, bias)


class Dense(nn.Module):
    """Affine layer y = h Wᵀ + b; with ``factorised`` the weight is diag(exp(s)) V (RWF)."""

    def __init__(self, n_in: int, n_out: int, factorised: tuple[float, float] | None = None,
                 dtype: torch.dtype = torch.float64, device: str | torch.device | None = None):
        super().__init__()
        w = torch.empty(n_out, n_in, dtype=dtype, device=device)
        nn.init.xavier_normal_(w)
        self.bias = nn.Parameter(torch.zeros(n_out, dtype=dtype, device=device))
        if factorised is None:
            self.weight = nn.Parameter(w)
            self.log_scale = None
        else:
            mean, std = factorised
            s = mean + std * torch.randn(n_out, 1, dtype=dtype, device=device)
            self.log_scale = nn.Parameter(s)
            self.weight = nn.Parameter(w / torch.exp(s))

    def effective_weight(self) -> torch.Tensor:
        if self.log_scale is None:
            return self.weight
        return torch.exp(self.log_scale) * self.weight


class MLP(nn.Module):
    """Plain tanh network n_in → width × depth → n_out."""

    def __init__(self, n_in: int = 1, n_out: int = 1, width: int = 64, depth: int = 3,
                 dtype: torch.dtype = torch.float64, device: str | torch.device | None = None):
        super().__init__()
        sizes = [n_in] + [width] * depth + [n_out]
        self.layers = nn.ModuleList(Dense(a, b, dtype=dtype, device=device)
                                    for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def forward(self, x):
        h = x
        for layer in self.layers[:-1]:
            h = _tanh(_linear(h, layer))
        return _linear(h, self.layers[-1])


class ModifiedMLP(nn.Module):
    """Gated tanh network of Wang et al. (2021), see the module docstring."""

    def __init__(self, n_in: int = 1, n_out: int = 1, width: int = 64, depth: int = 6,
                 factorised: tuple[float, float] | None = (0.5, 0.1),
                 dtype: torch.dtype = torch.float64, device: str | torch.device | None = None):
        super().__init__()
        kw = dict(factorised=factorised, dtype=dtype, device=device)
        self.encoder_u = Dense(n_in, width, **kw)
        self.encoder_v = Dense(n_in, width, **kw)
        self.hidden = nn.ModuleList([Dense(n_in, width, **kw)]
                                    + [Dense(width, width, **kw) for _ in range(depth - 1)])
        self.output = Dense(width, n_out, **kw)

    def forward(self, x):
        U = _tanh(_linear(x, self.encoder_u))
        V = _tanh(_linear(x, self.encoder_v))
        h = x
        for layer in self.hidden:
            Z = _tanh(_linear(h, layer))
            h = U + Z * (V - U)
        return _linear(h, self.output)
