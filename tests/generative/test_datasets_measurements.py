"""Field families of the bundled specs against their equations and reference solvers, and
measurement parsing / bad input."""

import numpy as np
import pytest

from pinnlab.errors import DataError
from pinnlab.generative.datasets import FieldDataset, family_dataset
from pinnlab.generative.guidance import Observations
from pinnlab.generative.measurements import points_to_observations


def test_heat_family_solves_the_spec_heat_equation():
    """The fields solve problems/generative/heat.toml's equation: its residual on the grid
    (central differences in t and x: second order) is small and the least-squares kappa is the
    one drawn; with the sine projection in x the residual is smaller still."""
    import os

    import torch

    import pinnlab
    from pinnlab.generative.guidance import SpecPDE

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = pinnlab.load(os.path.join(root, "problems", "generative", "heat.toml"))
    ds = family_dataset("heat", 4, seed=0, grid={"t": 64, "x": 64})
    u = torch.tensor(ds.fields, dtype=torch.float64)
    kappa = torch.tensor(ds.params[:, 0])
    for operators in ({"x": "central"}, {}):
        pde = SpecPDE(spec, ds.coords, operators=operators)
        assert torch.allclose(pde.fit(u), kappa, rtol=5e-3)
        r, u_t = pde.residual(u, kappa), pde.residual(u, 0 * kappa)
        assert float(r.abs().max()) < 0.02 * float(u_t.abs().max())
    np.testing.assert_allclose(ds.fields[:, 0][:, :, [0, -1]], 0.0, atol=1e-6)


def test_joint_darcy_residual_vanishes_on_the_finite_volume_solution():
    """problems/generative/darcy_observed.toml (fields a and u, no parameter to fit) through
    the PDE guidance's grid residual: for a permeability linear in x and y, the central
    product rule a_x u_x + a u_xx equals darcy_fd's face-averaged scheme exactly, so the
    residual of its solution is round-off (measured 1e-12 of the source); a wrong a (the
    channels swapped to a constant) leaves an O(1) residual."""
    import os

    import torch

    import pinnlab
    from pinnlab.generative.guidance import SpecPDE
    from pinnlab.reference.diffusion import darcy_fd

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = pinnlab.load(os.path.join(root, "problems", "generative", "darcy_observed.toml"))
    x = y = np.linspace(0.0, 1.0, 24)
    xx, yy = np.meshgrid(x, y, indexing="ij")
    a = 3.0 + 4.0 * xx + 2.0 * yy
    u = darcy_fd(x, y, a, np.ones_like(a))
    pde = SpecPDE(spec, {"x": x, "y": y}, operators={"x": "central", "y": "central"})
    assert pde.param_name is None and pde.fit(torch.zeros(1, 2, 24, 24)) is None
    fields = torch.tensor(np.stack([a, u])[None])
    assert float(pde.residual(fields).abs().max()) < 1e-9
    wrong = torch.tensor(np.stack([np.full_like(a, 3.0), u])[None])
    assert float(pde.residual(wrong).abs().mean()) > 0.3


def test_burgers_family_starts_from_minus_sine():
    ds = family_dataset("burgers", 2, seed=0, grid={"t": 9, "x": 33})
    expected = np.broadcast_to(-np.sin(np.pi * ds.coords["x"]), (2, 33))
    np.testing.assert_allclose(ds.fields[:, 0, 0], expected, atol=1e-6)
    assert ds.fields.shape == (2, 1, 9, 33) and ds.param_names == ["nu"]


def test_random_start_burgers_family_matches_a_spectral_solve():
    """burgers_ic.toml: a member (Cole-Hopf with the numeric potential of its random sine
    series) against the pseudo-spectral ETDRK4 solve of the same start, the series being odd
    and 4-periodic on [-1, 3]; measured 7e-7 relative (the float32 storage), fronts included."""
    from pinnlab.reference.burgers_periodic import burgers_spectral

    ds = family_dataset("burgers_ic", 1, seed=5, grid={"t": 9, "x": 33})
    k = np.arange(1, 7)
    amp = np.random.default_rng(5).standard_normal(6) / k  # the family's own draw, seed 5

    def u0(y):
        return (amp * np.sin(np.pi * k * (np.asarray(y)[..., None] + 1) / 2)).sum(-1)

    t, x = np.meshgrid(ds.coords["t"], ds.coords["x"], indexing="ij")
    np.testing.assert_allclose(ds.fields[0, 0, 0], u0(ds.coords["x"]), atol=1e-6)
    ref = burgers_spectral(x, t, 0.01, u0, (-1.0, 3.0), modes=1024, dt=2e-4)
    assert np.linalg.norm(ds.fields[0, 0] - ref) / np.linalg.norm(ref) < 2e-5
    assert np.abs(np.diff(ds.fields[0, 0, -1])).max() > 0.3  # a steep front: not trivial


def test_dataset_roundtrip(tmp_path):
    ds = family_dataset("heat", 3, seed=0, grid={"t": 8, "x": 8})
    ds.save(tmp_path / "h.npz")
    back = FieldDataset.load(tmp_path / "h.npz")
    np.testing.assert_array_equal(back.fields, ds.fields)
    assert back.param_names == ["kappa"] and list(back.coords) == ["t", "x"]


COORDS = {"t": np.linspace(0, 0.05, 8), "x": np.linspace(0, 1, 8)}


def snap(t, x, u):
    return points_to_observations({"t": np.array(t), "x": np.array(x)}, {"u": np.array(u)},
                                  COORDS, ["u"])


def test_measurements_snap_to_grid():
    obs = snap([0.0, 0.05], [0.0, 0.99], [1.5, -2.0])
    assert obs.count == 2 and obs.values[0, 0, 0] == 1.5 and obs.values[0, 7, 7] == -2


@pytest.mark.parametrize("t,x,u", [([0.0], [1.2], [1.0]), ([0.0], [0.5], [np.nan]), ([], [], []),
                                   ([-0.1], [0.5], [1.0]), ([np.nan], [0.5], [1.0])])
def test_bad_measurements_raise(t, x, u):
    with pytest.raises(DataError):
        snap(t, x, u)


def test_missing_coordinate_raises():
    with pytest.raises(DataError):
        points_to_observations({"t": np.zeros(1)}, {"u": np.ones(1)}, COORDS, ["u"])


def test_mask_without_points_raises():
    with pytest.raises(DataError):
        Observations(np.zeros((1, 4, 4), bool), np.zeros((1, 4, 4)))
    with pytest.raises(DataError):
        Observations(np.ones((1, 2, 2), bool), np.full((1, 2, 2), np.nan))


def test_grid_backend_equals_the_direct_formulas():
    """The spec's heat equation on the grid backend is, operator by operator, the direct
    formula: u_t by central differences, u_xx from the least-squares sine projection
    (8 modes), times Δt (what the former hand-written guidance computed; measured 2e-16)."""
    import os

    import torch

    import pinnlab
    from pinnlab.generative.guidance import SpecPDE

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    spec = pinnlab.load(os.path.join(root, "problems", "generative", "heat.toml"))
    ds = family_dataset("heat", 3, seed=3)
    t, x = ds.coords["t"], ds.coords["x"]
    u = torch.tensor(ds.fields, dtype=torch.float64)
    u = u + 0.01 * torch.randn(u.shape, generator=torch.Generator().manual_seed(0),
                               dtype=torch.float64)
    kappa = torch.tensor(ds.params[:, 0])
    dt, k = float(t[1] - t[0]), np.arange(1, 9)
    basis = np.sin(np.pi * np.outer(x, k))
    op = torch.tensor((basis * -(np.pi * k) ** 2) @ np.linalg.pinv(basis))
    u_t = (u[:, 0, 2:] - u[:, 0, :-2]) / (2 * dt)
    u_xx = u[:, 0, 1:-1] @ op.T
    direct = (u_t - kappa[:, None, None] * u_xx) * dt
    pde = SpecPDE(spec, ds.coords)
    assert torch.allclose(pde.residual(u, kappa), direct, rtol=0, atol=1e-12)
    fit = (u_t * u_xx).sum((1, 2)) / (u_xx * u_xx).sum((1, 2))
    assert torch.allclose(pde.fit(u), fit, rtol=1e-10)
