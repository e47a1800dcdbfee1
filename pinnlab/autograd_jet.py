"""The derivative engine's autograd backend: the jet of any differentiable model.

The engine's own backend (:class:`pinnlab.jet.Jet` propagated through a
:class:`~pinnlab.nn.FieldNetwork`) needs a network built from jet operations. A model that is not
(an attentive neural process, a U-Net) still gets the same jets here, by nested reverse-mode
autograd with ``create_graph=True``, so the compiled spec's expressions — and so its residuals —
evaluate on it unchanged:

    J[a] = ∂^a u / Π_i scale_{a_i}    for every multi-index a of the basis,

where ``u = model(inputs)`` and the model's inputs are the coordinates divided by ``scale``
(``inputs_i = (x_i − offset_i) / scale_i``). Each component costs one backward pass per
coordinate of its parent; fine for the second-order operators of the specs, not a substitute for
the jet network in training loops that need many components.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .jet import Jet, JetBasis


def autograd_jet(u: torch.Tensor, inputs: torch.Tensor, basis: JetBasis,
                 scales: Sequence[float] | None = None,
                 columns: Sequence[int] | None = None) -> Jet:
    """The jet of ``u`` (shape ``S``, computed from ``inputs`` of shape ``S + (m,)`` with
    ``requires_grad``) on ``basis``, each component flattened to ``(prod(S), 1)`` (one field).
    Coordinate ``i`` of the basis is input column ``columns[i]`` (default ``i``), and
    derivatives are taken in the unscaled coordinates ``x_i = offset_i + scale_i · input``."""
    scales = [1.0] * basis.dim if scales is None else list(scales)
    columns = list(range(basis.dim)) if columns is None else list(columns)
    parts: dict[tuple[int, ...], torch.Tensor] = {(): u}
    grads: dict[tuple[int, ...], torch.Tensor] = {}
    for a in basis.indices[1:]:  # sorted by order: a parent comes before its children
        parent, i = a[:-1], a[-1]
        if parent not in grads:
            f = parts[parent]
            grads[parent] = (torch.autograd.grad(f.sum(), inputs, create_graph=True)[0]
                             if f.requires_grad else torch.zeros_like(inputs))
        parts[a] = grads[parent][..., columns[i]] / scales[i]
    return Jet([parts[a].reshape(-1, 1) for a in basis.indices], basis)
