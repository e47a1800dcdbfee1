"""Dense BFGS (``quasi_newton = "bfgs"``, ``"ssbfgs"``): the rank-two update gives the
direction −H⁺g of the updated matrix, the optimizer solves an ill-conditioned quadratic, a
PINN trained with it (or with ``"lm"``) reaches the exact solution, and a network too large
for the matrix is refused before any training. (Resuming a killed BFGS run bit for bit:
``tests/test_resume.py``.)"""

import pytest
import torch

import pinnlab
from pinnlab.bfgs import DenseBFGS, _update
from pinnlab.errors import SpecError

ROD = """
name = "sine_rod"
fields = ["u"]

[domain]
x = [0.0, 1.0]

[equations]
poisson = "u_xx + pi**2*sin(pi*x)"

[conditions.ends]
kind = "dirichlet"
field = "u"
on = "x"

[reference]
solver = "exact"
u = "sin(pi*x)"
grid = { x = 101 }

[training]
width = 16
depth = 2
residual_points = 64
adam_steps = 200
lbfgs_steps = 300
quasi_newton = "bfgs"
hard_constraints = false
"""


def test_update_matches_the_textbook_formula():
    gen = torch.Generator().manual_seed(0)
    n = 30
    a = torch.randn(n, n, generator=gen, dtype=torch.float64)
    H = a @ a.T + torch.eye(n, dtype=torch.float64)
    s, y, g = (torch.randn(n, generator=gen, dtype=torch.float64) for _ in range(3))
    y = y + 3 * s  # yᵀs > 0
    rho = 1 / float(y @ s)
    eye = torch.eye(n, dtype=torch.float64)
    want = (eye - rho * torch.outer(s, y)) @ H @ (eye - rho * torch.outer(y, s)) \
        + rho * torch.outer(s, s)  # Nocedal & Wright (6.17)
    got, direction = _update(H.clone(), s, y, g)
    assert torch.allclose(got, want, rtol=1e-12, atol=1e-12)
    assert torch.allclose(direction, -want @ g, rtol=1e-12, atol=1e-12)


def test_self_scaled_update_matches_oren_luenberger():
    """SSBFGS: ``γ (I − ρ s yᵀ) H (I − ρ y sᵀ) + ρ s sᵀ`` with ``γ = max(1, yᵀs / yᵀHy)``
    (the old curvature scaled up, the new pair exact: ``H⁺ y = s``)."""
    gen = torch.Generator().manual_seed(2)
    n = 30
    a = torch.randn(n, n, generator=gen, dtype=torch.float64)
    H = 1e-4 * (a @ a.T + torch.eye(n, dtype=torch.float64))  # small: γ > 1
    s, y, g = (torch.randn(n, generator=gen, dtype=torch.float64) for _ in range(3))
    y = y + 3 * s
    rho = 1 / float(y @ s)
    gamma = max(1.0, float(y @ s) / float(y @ H @ y))
    assert gamma > 2
    eye = torch.eye(n, dtype=torch.float64)
    want = gamma * (eye - rho * torch.outer(s, y)) @ H @ (eye - rho * torch.outer(y, s)) \
        + rho * torch.outer(s, s)
    got, direction = _update(H.clone(), s, y, g, self_scaled=True)
    assert torch.allclose(got, want, rtol=1e-12, atol=1e-12)
    assert torch.allclose(direction, -want @ g, rtol=1e-12, atol=1e-12)
    assert torch.allclose(got @ y, s, rtol=1e-10, atol=1e-12)


def test_bfgs_solves_an_ill_conditioned_quadratic():
    gen = torch.Generator().manual_seed(1)
    n = 50
    q, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    A = q @ torch.diag(torch.logspace(0, 4, n, dtype=torch.float64)) @ q.T  # condition 1e4
    b = torch.randn(n, generator=gen, dtype=torch.float64)
    exact = torch.linalg.solve(A, b)
    x = torch.zeros(n, dtype=torch.float64, requires_grad=True)
    opt = DenseBFGS([x], lr=1, max_iter=300, line_search_fn="strong_wolfe",
                    tolerance_grad=1e-14, tolerance_change=1e-20)

    def closure():
        opt.zero_grad()
        f = 0.5 * x @ A @ x - b @ x
        f.backward()
        return f

    opt.step(closure)
    err = float((x.detach() - exact).norm() / exact.norm())
    # measured 8e-6 .. 1.8e-5 over seeds 0-2 (the float64 floor of a minimisation by loss
    # values at condition 1e4); L-BFGS with 10 pairs at 300 iterations: 1.5e-3 .. 2.1e-3
    assert err < 1e-4, err


@pytest.mark.parametrize("kind, bound", [("bfgs", 1e-4), ("ssbfgs", 2e-4), ("lm", 1e-5)])
def test_pinn_with_each_dense_method_reaches_the_exact_solution(tmp_path, kind, bound):
    """The same 300 iterations after Adam. Measured (seeds 0-2): bfgs 1.5e-6 .. 3.5e-6 (1 and
    2 threads alike), ssbfgs 1.5e-6 .. 1.6e-5, lm (Levenberg–Marquardt) 1.2e-7, 1.6e-7
    (seeds 0, 1)."""
    path = tmp_path / "rod.toml"
    path.write_text(ROD.replace('"bfgs"', f'"{kind}"'))
    result = pinnlab.solve(str(path), progress=False, seed=0)
    assert f"1:{kind}" in result.metrics["optimizer_stops"]
    assert result.metrics["rel_l2"] < bound


def test_a_network_too_large_for_the_matrix_is_refused_before_training(tmp_path):
    path = tmp_path / "rod.toml"
    path.write_text(ROD.replace("width = 16", "width = 128"))
    with pytest.raises(SpecError) as err:
        pinnlab.solve(str(path), progress=False)
    assert err.value.key == "training.quasi_newton"
    assert not (tmp_path / "sine_rod").exists()


def test_check_refuses_the_large_network_in_one_line(tmp_path, capsys):
    from pinnlab.cli import main

    path = tmp_path / "rod.toml"
    path.write_text(ROD.replace("width = 16", "width = 128").replace('"bfgs"', '"ssbfgs"'))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training.quasi_newton" in err[0] and "rod.toml" in err[0], err
