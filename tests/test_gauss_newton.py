"""Levenberg–Marquardt (``quasi_newton = "lm"``): it reaches the least-squares solution of a
linear problem in a few iterations, the Jacobian rows equal autograd's (per point, or all at
once for observations and integrals), an inverse problem lands on least squares, and causal
weights are refused in one line before training (a PINN trained with it:
``tests/test_bfgs.py``). (Resuming a killed LM run bit for bit:
``tests/test_resume.py``.)"""

from pathlib import Path

import torch

import pinnlab
from pinnlab.cli import main
from pinnlab.gauss_newton import LevenbergMarquardt


def test_linear_least_squares_in_a_few_iterations():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(200, 6, generator=gen, dtype=torch.float64)
    w_true = torch.randn(6, generator=gen, dtype=torch.float64)
    model = torch.nn.Linear(6, 1, dtype=torch.float64)

    def residual(points):  # r(x) = w·x + b − (w_true·x + sin(x₀)): pointwise, linear in θ
        return model(points)[:, 0] - points @ w_true - torch.sin(points[:, 0])

    opt = LevenbergMarquardt(model, lambda: [(x, residual, 0.5, True)], max_iter=10)
    opt.step(lambda: (0.25 * residual(x).square().sum()))
    A = torch.cat([x, torch.ones(200, 1, dtype=torch.float64)], 1)
    exact = torch.linalg.lstsq(A, x @ w_true + torch.sin(x[:, 0])).solution
    got = torch.cat([model.weight.detach()[0], model.bias.detach()])
    # damped Gauss–Newton on a linear problem: μ shrinks geometrically; measured 1e-12 at 10
    assert float((got - exact).norm() / exact.norm()) < 1e-8
    assert opt.state[opt._params[0]]["n_iter"] <= 10


def test_jacobian_rows_are_autograd_gradients():
    gen = torch.Generator().manual_seed(1)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)
                              ).double()
    x = torch.randn(30, 2, generator=gen, dtype=torch.float64)

    def residual(points):
        return net(points)[:, 0] ** 2 - points[:, 1]

    opt = LevenbergMarquardt(net, lambda: [(x, residual, 0.3, True)], rows_per_pass=7)
    system = opt._system(opt.blocks())  # 30 rows, 33 weights: J itself is kept
    G, g, loss = system["J"].T @ system["J"], system["g"], system["loss"]
    rows = []
    for i in range(len(x)):
        grads = torch.autograd.grad(residual(x[i:i + 1])[0], list(net.parameters()))
        rows.append(0.3 * torch.cat([q.reshape(-1) for q in grads]))
    J = torch.stack(rows)
    r = 0.3 * residual(x).detach()
    assert torch.allclose(G, J.T @ J, rtol=1e-10, atol=1e-12)
    assert torch.allclose(g, J.T @ r, rtol=1e-10, atol=1e-12)
    assert abs(loss - float(r @ r)) < 1e-12 * max(1.0, loss)


def test_causal_weights_are_refused_in_one_line(tmp_path, capsys):
    spec = (Path(__file__).parents[1] / "problems" / "burgers.toml").read_text()
    path = tmp_path / "burgers.toml"
    path.write_text(spec.replace("[training]", '[training]\nquasi_newton = "lm"\ncausal = true'))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training.quasi_newton" in err[0] and "causal" in err[0], err


def test_jacobian_of_a_residual_that_is_not_pointwise():
    """An integral's rows depend on every node: ``pointwise=False`` differentiates each row
    over all the points (what the Laplace intervals use for integral conditions)."""
    from pinnlab.gauss_newton import jacobian

    gen = torch.Generator().manual_seed(2)
    net = torch.nn.Sequential(torch.nn.Linear(1, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1)
                              ).double()
    x = torch.rand(12, 1, generator=gen, dtype=torch.float64)

    def residual(points):  # running means: row i reads points 0..i
        u = net(points)[:, 0]
        return torch.cumsum(u, 0) / torch.arange(1, len(u) + 1, dtype=u.dtype)

    J = jacobian(net, residual, x, pointwise=False)
    rows = [torch.cat([q.reshape(-1) for q in torch.autograd.grad(residual(x)[i],
                                                                   list(net.parameters()))])
            for i in range(len(x))]
    assert torch.allclose(J, torch.stack(rows), rtol=1e-12, atol=1e-14)


def test_lm_estimates_an_unknown_parameter_as_least_squares(tmp_path):
    """u' = a, u(0) = 0 observed with noise: LM trains the unknown ``a`` with the network (it
    is a column of the Jacobian) and lands on the least-squares slope."""
    import numpy as np

    from pinnlab.testing import slope_problem

    spec, x, y, sigma = slope_problem(tmp_path, 0)
    r = pinnlab.solve(spec, progress=False, evaluate=False, quasi_newton="lm")
    a_ls, sd = float(np.sum(x * y) / np.sum(x**2)), sigma / np.sqrt(np.sum(x**2))
    # measured (seeds 0, 1): 0.078 and 0.004 sd from least squares (L-BFGS: 0.076, 0.004)
    assert abs(r.metrics["params"]["a"] - a_ls) < 0.25 * sd


def test_fewer_rows_than_weights_take_the_same_step():
    """With M < P the step comes from the M × M system; it equals the P × P one."""
    gen = torch.Generator().manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(1, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)
                              ).double()
    x = torch.rand(10, 1, generator=gen, dtype=torch.float64)  # 10 rows, 49 weights

    def residual(points):
        return net(points)[:, 0] - torch.sin(3 * points[:, 0])

    opt = LevenbergMarquardt(net, lambda: [(x, residual, 1.0, True)])
    dual = opt._system(opt.blocks())
    assert "K" in dual
    J = dual["J"]
    primal = {"G": J.T @ J, "g": dual["g"]}
    for mu in (1e-6, 1e-2, 10.0):
        d1, q1 = LevenbergMarquardt._solve(dual, mu)
        d2, q2 = LevenbergMarquardt._solve(primal, mu)
        assert torch.allclose(d1, d2, rtol=1e-6, atol=1e-9) and abs(q1 - q2) < 1e-8 * max(q2, 1)


def test_rows_of_two_observed_fields_are_autograd_gradients():
    """Observations of T and u (the flame Case 1 inverse spec): the data rows pair values with
    their points by position, so they are differentiated together; each row equals autograd's
    gradient of that value, and the scale makes Σ rows² the term's mean square."""
    from pinnlab.api import prepare
    from pinnlab.gauss_newton import jacobian
    from pinnlab.methods.pinn import PINNLoss, PINNModel

    spec = Path(__file__).parents[1] / "problems" / "flames" / "case1_inverse.toml"
    plan = prepare(str(spec), "pinn", options={"width": 8, "depth": 2})
    gen = torch.Generator().manual_seed(0)
    model = PINNModel(plan.problem, plan.config, gen).double()
    loss = PINNLoss(plan.problem, model, plan.config, gen)
    blocks = dict(zip([t.name for t in loss.terms], loss.rows({t.name: 1.0 for t in loss.terms}),
                      strict=True))
    points, residual, scale, pointwise = blocks["data"]
    assert not pointwise and blocks["equations.energy"][3]
    r = residual(points).detach()
    J = jacobian(model, residual, points, pointwise=False)
    assert J.shape[0] == r.numel() == 2 * len(points)
    params = [p for p in model.parameters() if p.requires_grad]
    for i in (0, 1, r.numel() - 1):
        g = torch.autograd.grad(residual(points).reshape(-1)[i], params, allow_unused=True)
        row = torch.cat([(torch.zeros_like(p) if q is None else q).reshape(-1)
                         for q, p in zip(g, params, strict=True)])
        assert torch.allclose(J[i], row, rtol=1e-10, atol=1e-12)
    assert abs(float((scale * r).square().sum()) - float(loss()["data"].detach())) < 1e-10


def test_terms_that_pair_points_are_not_pointwise():
    """Periodic pairs (point i with its image i + m) and observations (value i with reading
    i) cannot be differentiated one point at a time; equations and conditions can."""
    from pinnlab.losses import compile_terms

    problem = pinnlab.load(str(Path(__file__).parents[1] / "problems" / "convection.toml"))
    kinds = {t.kind: t.pointwise for t in compile_terms(problem, {"residual": 8, "boundary": 4,
                                                                   "initial": 4})}
    assert kinds == {"residual": True, "initial": True, "periodic": False}, kinds


def test_a_method_without_residual_rows_refuses_lm_in_one_line(tmp_path, capsys):
    spec = str(Path(__file__).parents[1] / "problems" / "convection.toml")
    out = tmp_path / "run"
    assert main(["solve", spec, "--method", "lpinn", "--option", "quasi_newton=lm",
                 "--steps", "2", "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training.quasi_newton" in err[0] and "lpinn" in err[0], err
    assert not out.exists()  # refused before anything is written
