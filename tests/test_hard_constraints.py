"""Hard constraints beyond initial data and the two ends of one coordinate: one constant on every
face of a box must hold exactly for any network, with exact jet derivatives, and ``check`` must
say so; other data on a box stay soft, with the reason."""

import torch

from pinnlab.api import prepare
from pinnlab.methods.exactness import report
from pinnlab.methods.pinn import PINNModel
from pinnlab.spec.toml import from_dict
from pinnlab.testing import assert_derivatives_match_fd


def _model(spec: dict, **options) -> PINNModel:
    plan = prepare(from_dict(spec), "pinn", options={"width": 10, "depth": 2, **options})
    with torch.no_grad():
        return PINNModel(plan.problem, plan.config, torch.Generator().manual_seed(2)).double()


def _jet(model: PINNModel, pts: torch.Tensor, index: tuple[int, ...]) -> torch.Tensor:
    from pinnlab.jet import JetBasis

    basis = JetBasis(pts.shape[1], [index])
    with torch.no_grad():
        return model.fields_jet(pts, basis).d(index)[:, 0]


BOX = {"fields": ["u"], "domain": {"x": [0.0, 1.0], "y": [-1.0, 2.0]},
       "equations": {"poisson": "u_xx + u_yy + 1"},
       "conditions": {"walls": {"kind": "dirichlet", "field": "u", "on": "boundary",
                                "value": 0.25}}}


def test_one_constant_on_every_face_of_a_box_is_built_in():
    model = _model(BOX)
    assert model.imposed() == {"conditions.walls"}
    s = torch.rand(9, dtype=torch.float64)
    for pts in (torch.stack([torch.zeros_like(s), 3 * s - 1], 1),
                torch.stack([torch.ones_like(s), 3 * s - 1], 1),
                torch.stack([s, torch.full_like(s, -1.0)], 1),
                torch.stack([s, torch.full_like(s, 2.0)], 1)):
        assert torch.allclose(_jet(model, pts, ()), torch.full_like(s, 0.25), atol=1e-14)
    inside = torch.rand(6, 2, dtype=torch.float64) * torch.tensor([0.8, 2.4]) + torch.tensor(
        [0.1, -0.7])
    assert (_jet(model, inside, ()) - 0.25).abs().min() > 0  # the network still acts inside
    assert_derivatives_match_fd(model, inside, [(0, 0), (1, 1)], rtol=1e-6)


def test_different_data_on_a_box_stay_soft():
    spec = {**BOX, "conditions": {
        "sides": {"kind": "dirichlet", "field": "u", "on": "x", "value": 0.0},
        "lid": {"kind": "dirichlet", "field": "u", "on": "y = 2", "value": "x*(1 - x)"}}}
    assert _model(spec).imposed() == set()
    plan = prepare(from_dict(spec), "pinn")
    reasons = {e["name"]: e["reason"] for e in report(plan.problem, plan.module.__name__,
                                                       plan.config)}
    assert "one constant on every face" in reasons["lid"]


def test_data_singular_at_the_start_time_stay_finite():
    """The PME inlet u(0, t) = (m t)^(1/m) has an infinite slope at t = 0: the ansatz subtracts
    g(x, t0) as a number, so no derivative becomes ∞ · 0 (the bundled spec once trained on NaN
    from its first step)."""
    from pinnlab.methods.pinn import build_pinn
    from pinnlab.stages import RunContext

    plan = prepare("problems/gpme_pme.toml")
    model, loss, _ = build_pinn(plan.problem, plan.config, RunContext(progress=False))
    assert set(model.imposed()) == {"conditions.initial", "conditions.inlet", "conditions.far"}
    t = loss.terms[0]
    jet = model.fields_jet(t.points, t.basis)
    assert all(bool(torch.isfinite(p).all()) for p in jet.parts)
    assert bool(torch.isfinite(loss()["equations.gpme"]))
    times = torch.tensor([0.0, 1e-6, 0.3, 1.0], dtype=torch.float64)
    inlet = model(torch.stack([torch.zeros(4, dtype=torch.float64), times], 1))[:, 0]
    torch.testing.assert_close(inlet.detach(), (3.0 * times) ** (1 / 3), rtol=1e-12, atol=1e-12)
