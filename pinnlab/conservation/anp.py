"""Attentive neural process (Kim et al., 2019) as the ProbConserv base model.

Given a context set {(s_i, u_i)} (s = scaled (t, x)) of one function, the ANP predicts at target
inputs s* a Gaussian u* ~ N(μ(s*; r, z), σ²(s*; r, z)) where

* r(s*) — deterministic path: self-attention over encoded context pairs, then cross-attention
  with queries s* and keys s_i;
* z — global latent: self-attention over encoded pairs, mean-pooled, z ~ N(m_z, diag v_z).

Training maximises the ELBO  E_{q(z|targets)} log p(u* | r, z) - KL(q(z|targets) ‖ q(z|context)),
normalised per target point. The predictive distribution at evaluation is the moment-matched
mixture over latent draws z ~ q(z|context): mean E[μ], variance E[σ²] + Var[μ] (a diagonal Σ).

Shapes: context_s (B, Nc, 2), context_u (B, Nc), target_s (B, Nt, 2); outputs (B, Nt).
Smooth activations (GELU) keep second derivatives of μ in s meaningful for the SoftC penalty.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.GELU())
    return nn.Sequential(*layers)


class AttentionBlock(nn.Module):
    """Multi-head dot-product attention, residual and layer norm: LN(q + W[q, attn(q, k, v)]).

    attn = softmax(Q Kᵀ / √d) V per head, written out explicitly (not the fused kernel) so that
    the SoftC penalty can differentiate twice through it.
    """

    def __init__(self, hidden: int, heads: int):
        super().__init__()
        if hidden % heads:
            raise ValueError(f"hidden width {hidden} is not a multiple of heads {heads}")
        self.heads = heads
        self.q, self.k, self.v = (nn.Linear(hidden, hidden, bias=False) for _ in range(3))
        self.mix = nn.Linear(2 * hidden, hidden)
        self.norm = nn.LayerNorm(hidden)

    def _split(self, a: torch.Tensor) -> torch.Tensor:  # (B, N, H) -> (B, heads, N, H/heads)
        b, n, h = a.shape
        return a.reshape(b, n, self.heads, h // self.heads).transpose(1, 2)

    def forward(self, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
        q, k, v = self._split(self.q(query)), self._split(self.k(key)), self._split(self.v(value))
        weights = torch.softmax(q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5, dim=-1)
        attended = (weights @ v).transpose(1, 2).reshape(query.shape)
        return self.norm(query + self.mix(torch.cat([query, attended], dim=-1)))


class AttentiveNeuralProcess(nn.Module):
    """ANP: width ``hidden`` (= latent size), ``heads`` heads, ``layers`` blocks per path."""

    def __init__(
        self,
        hidden: int = 128,
        heads: int = 4,
        layers: int = 2,
        min_sigma: float = 1e-3,
        dim_in: int = 2,
    ):
        super().__init__()
        self.config = {"hidden": hidden, "heads": heads, "layers": layers, "min_sigma": min_sigma}
        self.min_sigma = min_sigma
        self.pair_latent = nn.Linear(dim_in + 1, hidden)
        self.self_latent = nn.ModuleList([AttentionBlock(hidden, heads) for _ in range(layers)])
        self.latent_head = _mlp([hidden, hidden, 2 * hidden])
        self.pair_det = nn.Linear(dim_in + 1, hidden)
        self.self_det = nn.ModuleList([AttentionBlock(hidden, heads) for _ in range(layers)])
        self.key_proj = nn.Linear(dim_in, hidden)
        self.query_proj = nn.Linear(dim_in, hidden)
        self.cross = nn.ModuleList([AttentionBlock(hidden, heads) for _ in range(layers)])
        self.target_proj = nn.Linear(dim_in, hidden)
        self.decoder = _mlp([3 * hidden, 2 * hidden, 2 * hidden, hidden, 2])

    def latent(self, s: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """q(z | set): mean and standard deviation (B, H) of the global latent."""
        h = self.pair_latent(torch.cat([s, u.unsqueeze(-1)], dim=-1))
        for block in self.self_latent:
            h = block(h, h, h)
        m, raw = self.latent_head(h.mean(dim=1)).chunk(2, dim=-1)
        return m, 0.01 + 0.99 * torch.sigmoid(raw)

    def deterministic(self, cs: torch.Tensor, cu: torch.Tensor, ts: torch.Tensor) -> torch.Tensor:
        """Deterministic representation r (B, Nt, H) of the context at each target input."""
        h = self.pair_det(torch.cat([cs, cu.unsqueeze(-1)], dim=-1))
        for block in self.self_det:
            h = block(h, h, h)
        keys, query = self.key_proj(cs), self.query_proj(ts)
        for block in self.cross:
            query = block(query, keys, h)
        return query

    def decode(self, r: torch.Tensor, z: torch.Tensor, ts: torch.Tensor):
        """Mean and standard deviation (B, Nt) of u at ts for a latent z (B, H)."""
        z = z.unsqueeze(1).expand(-1, ts.shape[1], -1)
        out = self.decoder(torch.cat([r, z, self.target_proj(ts)], dim=-1))
        return out[..., 0], self.min_sigma + F.softplus(out[..., 1])

    def elbo_loss(self, cs, cu, ts, tu) -> tuple[torch.Tensor, torch.Tensor]:
        """Negative ELBO per target point, and the decoder mean (B, Nt) used for SoftC."""
        m_c, s_c = self.latent(cs, cu)
        m_t, s_t = self.latent(ts, tu)
        z = m_t + s_t * torch.randn_like(s_t)
        mu, sigma = self.decode(self.deterministic(cs, cu, ts), z, ts)
        nll = -torch.distributions.Normal(mu, sigma).log_prob(tu).sum()
        kl = torch.distributions.kl_divergence(
            torch.distributions.Normal(m_t, s_t), torch.distributions.Normal(m_c, s_c)
        ).sum()
        return (nll + kl) / tu.numel(), mu

    @torch.no_grad()
    def predict(self, cs, cu, ts, n_latent: int = 100, generator: torch.Generator | None = None):
        """Moment-matched predictive mean and variance (B, Nt) over ``n_latent`` draws of z."""
        return self.moments(*self.predict_components(cs, cu, ts, n_latent, generator))

    def moments(self, means: torch.Tensor, variances: torch.Tensor):
        """Mean E[μ_k] and variance E[σ_k²] + Var[μ_k] (floored at min_sigma²) of the equal-weight
        mixture of :meth:`predict_components`; shapes (K, ...) -> (...)."""
        s1, s2 = torch.zeros_like(means[0]), torch.zeros_like(means[0])
        for mu, var in zip(means, variances):  # running sums in the model's dtype
            s1 += mu
            s2 += mu**2 + var
        mean = s1 / means.shape[0]
        return mean, (s2 / means.shape[0] - mean**2).clamp_min(self.min_sigma**2)

    @torch.no_grad()
    def predict_components(
        self, cs, cu, ts, n_latent: int = 100, generator: torch.Generator | None = None
    ):
        """The mixture behind :meth:`predict`: means and variances (n_latent, B, Nt) of the
        decoder for each latent draw z_k ~ q(z | context)."""
        m_c, s_c = self.latent(cs, cu)
        r = self.deterministic(cs, cu, ts)
        mus, variances = [], []
        for _ in range(n_latent):
            eps = torch.randn(m_c.shape, dtype=m_c.dtype, device=m_c.device, generator=generator)
            mu, sigma = self.decode(r, m_c + s_c * eps, ts)
            mus.append(mu)
            variances.append(sigma**2)
        return torch.stack(mus), torch.stack(variances)
