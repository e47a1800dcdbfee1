"""Networks that map coordinates to named fields, with derivatives by forward jets.

:class:`FieldNetwork` is an MLP ``R^d -> R^F`` with the standard PINN input aids:

* input scaling: each coordinate ``c ∈ [lo, hi]`` enters as ``a + (b - a)(c - lo)/(hi - lo)``
  (``input_range = (a, b)``, default ``(-1, 1)``);
* exact periodic embedding for periodic coordinates: ``[cos(k ω c), sin(k ω c)]``,
  ``ω = 2π / (hi - lo)``, ``k = 1..K`` (any output is then exactly periodic, value and all
  derivatives);
* optional random Fourier features ``[cos(B c̃), sin(B c̃)]``, ``B ~ N(0, σ²)``, on the scaled
  non-periodic coordinates;
* an MLP, or a PirateNet (Wang et al. 2024, as in jaxpi): two gates ``U = σ(W_U φ)``,
  ``V = σ(W_V φ)`` of the features ``φ``, then ``depth`` residual blocks, each
  ``z₁ = V + σ(W₁ h)(U − V)``, ``z₂ = V + σ(W₂ z₁)(U − V)``, ``z₃ = σ(W₃ z₂)`` (back to the
  features' width) and ``h ← h + α (z₃ − h)`` with a trained ``α`` that starts at 0, so the
  network starts as a linear function of its features and deepens as ``α`` grows (random
  Fourier features are the intended input; the physics-informed least-squares start of the
  last layer is not done);
* optional random weight factorisation (Wang et al. 2023, as in jaxpi): each layer's weight is
  ``W = diag(exp(s)) V`` with trained ``s`` and ``V``, ``s ~ N(1, 0.1²)`` at the start and
  ``V = diag(exp(−s)) W₀`` (the same function at initialisation, a different descent);
* output scaling ``field = shift + scale * raw``;
* output maps that hold by construction: a bounded field ``lo + (hi - lo) sigmoid(raw)``, a
  simplex of fields ``softmax(raw_group)`` (positive, summing to one).

Every step is written in :class:`~pinnlab.jet.Jet` arithmetic, so :meth:`FieldNetwork.jet`
returns the fields together with any partial derivatives the basis asks for, in one forward pass.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from .jet import Jet, JetBasis

ACTIVATIONS = ("tanh", "sin", "sigmoid")


class FieldNetwork(torch.nn.Module):
    """MLP from coordinates to fields.

    Args:
        domain: ``{coordinate: (lo, hi)}`` in input order.
        fields: output names.
        width, depth: hidden layer width and number of hidden layers.
        activation: ``tanh`` (default), ``sin`` or ``sigmoid``.
        periodic: coordinates embedded exactly periodically, with ``harmonics`` frequencies.
        fourier: number of random Fourier frequencies (0 = off), scale ``fourier_sigma``.
        output_scale, output_shift: per-field affine output map.
        bounds: ``{field: (lo, hi)}`` fields mapped into their bounds by a sigmoid.
        input_range: ``(a, b)``: each non-periodic coordinate enters mapped affinely from its
            range onto ``[a, b]`` (a wider range gives the first layer sharper features from the
            start; where it starts places the features' steepest point).
        simplex: groups of fields mapped onto the simplex by a softmax.
        factorized: random weight factorisation of every layer (module docstring).
        architecture: ``mlp`` or ``piratenet`` (``depth`` residual blocks of three layers).
    """

    def __init__(self, domain: dict[str, tuple[float, float]], fields: Sequence[str], *,
                 width: int = 64, depth: int = 4, activation: str = "tanh",
                 periodic: Sequence[str] = (), harmonics: int = 1, fourier: int = 0,
                 fourier_sigma: float = 1.0, output_scale: dict[str, float] | None = None,
                 output_shift: dict[str, float] | None = None,
                 bounds: dict[str, tuple[float, float]] | None = None,
                 simplex: Sequence[Sequence[str]] = (),
                 input_range: tuple[float, float] = (-1.0, 1.0),
                 factorized: bool = False, architecture: str = "mlp",
                 generator: torch.Generator | None = None):
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}")
        self.coords = list(domain)
        self.fields = list(fields)
        self.activation = activation
        lo = torch.tensor([domain[c][0] for c in self.coords])
        hi = torch.tensor([domain[c][1] for c in self.coords])
        a, b = input_range
        self.register_buffer("in_scale", (b - a) / (hi - lo))
        self.register_buffer("in_shift", a - lo * (b - a) / (hi - lo))
        self.periodic = [self.coords.index(c) for c in periodic]
        self.plain = [i for i in range(len(self.coords)) if i not in self.periodic]
        omega = torch.tensor([2 * math.pi / (domain[self.coords[i]][1] - domain[self.coords[i]][0])
                              for i in self.periodic])
        freqs = torch.arange(1, harmonics + 1, dtype=torch.get_default_dtype())
        # rows: one per (periodic coordinate, harmonic); acts on raw coordinates
        wper = torch.zeros(len(self.periodic) * harmonics, len(self.coords))
        for j, i in enumerate(self.periodic):
            wper[j * harmonics:(j + 1) * harmonics, i] = omega[j] * freqs
        self.register_buffer("periodic_weight", wper)
        bf = torch.randn(fourier, len(self.plain), generator=generator) * fourier_sigma
        self.register_buffer("fourier_weight", bf)
        n_in = len(self.plain) + 2 * wper.shape[0] + 2 * fourier
        if architecture not in ("mlp", "piratenet"):
            raise ValueError("architecture must be mlp or piratenet")
        self.architecture = architecture
        if architecture == "mlp":
            shapes = list(zip([n_in] + [width] * depth, [width] * depth + [len(self.fields)]))
        else:  # the gates U, V; per block W1, W2, W3; the output layer
            shapes = [(n_in, width)] * 2 + [(n_in, width), (width, width), (width, n_in)] * depth
            shapes.append((n_in, len(self.fields)))
        self.alphas = torch.nn.ParameterList(  # PirateNet's block weights, 0 at the start
            [torch.nn.Parameter(torch.zeros(())) for _ in range(depth)]
            if architecture == "piratenet" else [])
        self.layers = torch.nn.ModuleList()
        for a, b in shapes:
            lin = torch.nn.Linear(a, b)
            bound = math.sqrt(6.0 / (a + b))  # Glorot uniform
            with torch.no_grad():
                lin.weight.uniform_(-bound, bound, generator=generator)
                lin.bias.zero_()
            self.layers.append(lin)
        self.log_scales = torch.nn.ParameterList()  # s of W = diag(exp(s)) V, when factorized
        for lin in self.layers if factorized else ():  # drawn after W₀: the same W₀ as without
            s = 1.0 + 0.1 * torch.randn(lin.weight.shape[0], generator=generator)
            with torch.no_grad():
                lin.weight.mul_(torch.exp(-s)[:, None])
            self.log_scales.append(torch.nn.Parameter(s))
        scale = output_scale or {}
        shift = output_shift or {}
        self.register_buffer("out_scale", torch.tensor([float(scale.get(f, 1.0))
                                                        for f in self.fields]))
        self.register_buffer("out_shift", torch.tensor([float(shift.get(f, 0.0))
                                                        for f in self.fields]))
        self.bounded = [(self.fields.index(f), float(lo), float(hi))
                        for f, (lo, hi) in (bounds or {}).items()]
        self.groups = [[self.fields.index(f) for f in g] for g in simplex]

    def features(self, x: Jet) -> Jet:
        parts = []
        if self.plain:
            scaled = x.affine(self.in_scale, self.in_shift).select(self.plain)
            parts.append(scaled)
            if self.fourier_weight.shape[0]:
                z = parts[0].linear(self.fourier_weight)
                parts += [z.cos(), z.sin()]
        if self.periodic:
            z = x.linear(self.periodic_weight)
            parts += [z.cos(), z.sin()]
        return Jet.cat(parts)

    def _act(self, h: Jet) -> Jet:
        return getattr(h, self.activation)()

    def weight(self, i: int) -> torch.Tensor:
        """The weight of layer ``i`` (``diag(exp(s)) V`` when factorized)."""
        w = self.layers[i].weight
        return w * self.log_scales[i].exp()[:, None] if len(self.log_scales) else w

    def jet(self, x: Jet) -> Jet:
        """Fields and their derivatives: channels in the order of ``self.fields``."""
        h = self.features(x)
        if self.architecture == "piratenet":
            h = self._pirate(h)
        else:
            for i, layer in enumerate(self.layers[:-1]):
                h = self._act(h.linear(self.weight(i), layer.bias))
        last = self.layers[-1]
        out = h.linear(self.weight(-1) * self.out_scale[:, None], last.bias * self.out_scale)
        out = out.affine(shift=self.out_shift)
        if not self.bounded and not self.groups:
            return out
        chans = [out.channel(i) for i in range(len(self.fields))]
        for i, lo, hi in self.bounded:
            chans[i] = chans[i].sigmoid() * (hi - lo) + lo
        for g in self.groups:
            y = out.select(g).softmax()
            for k, i in enumerate(g):
                chans[i] = y.channel(k)
        return Jet.cat(chans)

    def _pirate(self, h: Jet) -> Jet:
        """PirateNet's gates and residual blocks (module docstring) on the features ``h``."""
        def dense(i: int, z: Jet) -> Jet:
            return self._act(z.linear(self.weight(i), self.layers[i].bias))

        u, v = dense(0, h), dense(1, h)
        gap = u - v
        for b, alpha in enumerate(self.alphas):
            i = 2 + 3 * b
            z = v + dense(i, h) * gap
            z = v + dense(i + 1, z) * gap
            h = h + (dense(i + 2, z) - h) * alpha
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Field values at points ``x`` of shape ``(N, d)``; returns ``(N, F)``."""
        return self.jet(JetBasis(x.shape[1], []).seed(x)).value
