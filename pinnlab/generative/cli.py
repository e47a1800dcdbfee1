"""``pinnlab prior data|train|sample|reconstruct``: generative priors of PDE fields from the CLI.

* ``data``: write a field family (heat, burgers, darcy) with its parameters to an .npz file.
* ``train``: train a U-Net prior (VP diffusion or rectified flow) on such a file; checkpoints,
  resume.
* ``sample``: unconditional samples with any sampler of :mod:`pinnlab.generative.sampling`.
* ``reconstruct``: posterior samples of the field (and the PDE parameter) from a CSV of sparse
  measurements; writes mean, standard deviation, samples and a figure.

Heavy imports (torch, matplotlib) happen inside the command functions.
"""

from __future__ import annotations

import argparse
import os

from pinnlab.commands import finite_float, positive_float, positive_int, seed_int
from pinnlab.quick import HELP as QUICK_HELP
from pinnlab.quick import fill_budget


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("prior", help="generative priors: data, train, sample, reconstruct")
    sub = p.add_subparsers(dest="prior_command", metavar="ACTION", required=True)

    d = sub.add_parser("data", help="write a PDE field family to .npz")
    d.add_argument("--family", choices=["heat", "burgers", "darcy"], default="heat")
    d.add_argument("--n", type=positive_int, default=None, help="fields (default 2000; --quick 64)")
    d.add_argument("--quick", action="store_true", help=QUICK_HELP)
    d.add_argument("--seed", type=seed_int, default=0)
    d.add_argument("--out", required=True)
    d.set_defaults(func=cmd_data)

    t = sub.add_parser("train", help="train a prior on a dataset")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True, help="checkpoint file (.pt)")
    t.add_argument("--objective", choices=["vp", "vp-eps", "rf"], default="vp")
    t.add_argument("--steps", type=positive_int, default=None,
                   help="training steps (default 1500; --quick 50)")
    t.add_argument("--quick", action="store_true", help=QUICK_HELP)
    t.add_argument("--batch", type=positive_int, default=16)
    t.add_argument("--base", type=positive_int, default=16)
    t.add_argument("--lr", type=positive_float, default=2e-3)
    t.add_argument("--resume", action="store_true")
    t.add_argument("--device", default="cpu")
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("sample", help="unconditional samples")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("--data", required=True, help="dataset file (for the grid)")
    s.add_argument("--n", type=positive_int, default=8)
    s.add_argument("--method", default="unipc")
    s.add_argument("--nfe", type=positive_int, default=20)
    s.add_argument("--seed", type=seed_int, default=0)
    s.add_argument("--out", required=True, help=".npz with the samples (and a .png next to it)")
    s.set_defaults(func=cmd_sample)

    r = sub.add_parser("reconstruct", help="field and parameter from a CSV of sparse measurements")
    r.add_argument("--checkpoint", required=True)
    r.add_argument("--data", required=True, help="dataset file (for the grid and the PDE)")
    r.add_argument("--measurements", required=True, help="CSV: axis columns + field columns")
    r.add_argument("--method", choices=["dps", "dps_pde", "flowchef"], default="dps_pde")
    r.add_argument("--spec", help="the PDE of dps_pde: a spec with one equation and one [family] "
                   "parameter (default for heat data: problems/generative/heat.toml)")
    r.add_argument("--nfe", type=positive_int, default=None,
                   help="network evaluations (default 50; --quick 10)")
    r.add_argument("--samples", type=positive_int, default=None,
                   help="posterior samples (default 8; --quick 2)")
    r.add_argument("--quick", action="store_true", help=QUICK_HELP)
    r.add_argument("--zeta", type=finite_float, default=None)
    r.add_argument("--noise-std", type=nonnegative_float, default=0.0)
    r.add_argument("--seed", type=seed_int, default=0)
    r.add_argument("--out", required=True, help=".npz with mean, std, samples, parameters")
    r.set_defaults(func=cmd_reconstruct)


def nonnegative_float(text: str) -> float:
    value = finite_float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text[:40]}")
    return value


def _out_file(path: str, key: str = "--out") -> str:
    from ..io import check_output_file

    return check_output_file(path, key=key)


def cmd_data(args: argparse.Namespace) -> int:
    from .datasets import FAMILIES

    _out_file(args.out)
    fill_budget(args, {"n": (2000, 64)})
    ds = FAMILIES[args.family](args.n, seed=args.seed)
    ds.save(args.out)
    print(f"wrote {args.out}: fields {ds.fields.shape}, params {ds.param_names}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..errors import DataError
    from .datasets import FieldDataset
    from .prior import PriorConfig, train_prior

    _out_file(args.out)
    if args.resume and not Path(args.out).exists():
        raise DataError("no checkpoint to resume from", file=args.out, key="--resume")
    fill_budget(args, {"steps": (1500, 50)})
    ds = FieldDataset.load(args.data)
    cfg = PriorConfig(objective=args.objective, dim=ds.fields.ndim - 2,
                      channels=ds.fields.shape[1], base=args.base, steps=args.steps,
                      batch=args.batch, lr=args.lr)
    _, losses = train_prior(ds.fields, cfg, checkpoint=args.out, resume=args.resume,
                            device=args.device)
    print(f"wrote {args.out}: final loss {sum(losses[-50:]) / max(len(losses[-50:]), 1):.4g}")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:

    from ..io import atomic_npz
    from .datasets import FieldDataset
    from .prior import Prior
    from .sampling import check_nfe

    check_nfe(args.method, args.nfe)
    _out_file(args.out)
    ds = FieldDataset.load(args.data)
    prior = Prior.load(args.checkpoint)
    u = prior.sample(args.n, ds.fields.shape[2:], args.method, args.nfe, args.seed).numpy()
    atomic_npz(args.out, compressed=True, samples=u)
    _plot_fields(u[:4, 0], ["sample"] * min(4, len(u)), args.out.rsplit(".", 1)[0] + ".png")
    print(f"wrote {args.out}: samples {u.shape}")
    return 0


def cmd_reconstruct(args: argparse.Namespace) -> int:

    from ..api import load
    from ..io import atomic_npz
    from .datasets import FieldDataset
    from .guidance import SpecPDE, reconstruct
    from .measurements import read_measurements
    from .prior import Prior

    _out_file(args.out)
    fill_budget(args, {"nfe": (50, 10), "samples": (8, 2)})
    ds = FieldDataset.load(args.data)
    prior = Prior.load(args.checkpoint)
    channels = ["a", "u"] if ds.family == "darcy" else ["u"]
    obs = read_measurements(args.measurements, ds.coords, channels, args.noise_std)
    spec = args.spec
    if spec is None and ds.family == "heat":
        spec = os.path.join(os.path.dirname(__file__), "..", "..", "problems", "generative",
                            "heat.toml")
    pde = SpecPDE(load(spec), ds.coords) if spec is not None else None
    method = "dps" if (args.method == "dps_pde" and pde is None) else args.method
    zeta = args.zeta if args.zeta is not None else (0.5 if method == "flowchef" else 2.0)
    rec = reconstruct(prior, obs, method=method, n_samples=args.samples, nfe=args.nfe, zeta=zeta,
                      pde=pde, seed=args.seed)
    out = {"mean": rec.mean.numpy(), "std": rec.std.numpy(), "samples": rec.samples.numpy()}
    if rec.params is not None:
        out[pde.param_name] = rec.params.numpy()
        print(f"{pde.param_name} = {rec.params.mean():.4g} +- {rec.params.std():.2g}")
    atomic_npz(args.out, compressed=True, **out)
    _plot_fields([out["mean"][-1], out["std"][-1]], ["posterior mean", "posterior std"],
                 args.out.rsplit(".", 1)[0] + ".png", obs.mask[-1].numpy())
    print(f"wrote {args.out}: {obs.count} observed points, {args.samples} samples")
    return 0


def _plot_fields(fields, titles, path, mask=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from ..io import save_figure

    fig, axes = plt.subplots(1, len(fields), figsize=(3.2 * len(fields), 3), squeeze=False)
    for ax, f, title in zip(axes[0], fields, titles, strict=True):
        f = np.asarray(f)
        if f.ndim == 1:
            ax.plot(f)
        else:
            im = ax.imshow(f, origin="lower", aspect="auto")
            fig.colorbar(im, ax=ax)
            if mask is not None:
                r, c = np.nonzero(mask)
                ax.plot(c, r, "w.", ms=3)
        ax.set_title(title)
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    plt.close(fig)
