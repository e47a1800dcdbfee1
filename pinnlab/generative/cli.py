"""``pinnlab prior data|train|sample``: generative priors of PDE fields from the CLI.

* ``data``: write the members of a spec's family (``[family]`` drawn, ``[reference]`` solved;
  ``--family NAME``: a bundled ``problems/generative/`` spec) to an .npz file.
* ``train``: train a U-Net prior (VP diffusion or rectified flow) on such a file; checkpoints,
  resume.
* ``sample``: unconditional samples with any sampler of :mod:`pinnlab.generative.sampling`.

A reconstruction from sparse measurements is a method of ``pinnlab solve``: a spec with
``[observations]``, ``--method prior --prior PRIOR.pt`` (:mod:`pinnlab.methods.prior`).

Heavy imports (torch, matplotlib) happen inside the command functions.
"""

from __future__ import annotations

import argparse

from pinnlab.commands import positive_float, positive_int, seed_int
from pinnlab.generative.datasets import FAMILIES
from pinnlab.quick import HELP as QUICK_HELP
from pinnlab.quick import fill_budget


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("prior", help="generative priors: data, train, sample")
    sub = p.add_subparsers(dest="prior_command", metavar="ACTION", required=True)

    d = sub.add_parser("data", help="write a PDE field family to .npz")
    which = d.add_mutually_exclusive_group()
    which.add_argument("--spec", help="a spec with [family] and a [reference] solver")
    which.add_argument("--family", choices=list(FAMILIES),
                       help="a bundled family spec (default heat)")
    d.add_argument("--n", type=positive_int, default=None, help="fields (default 2000; --quick 64)")
    d.add_argument("--quick", action="store_true", help=QUICK_HELP)
    d.add_argument("--seed", type=seed_int, default=0, help="seeds every draw (0)")
    d.add_argument("--out", required=True, help="the dataset .npz to write")
    d.set_defaults(func=cmd_data)

    t = sub.add_parser("train", help="train a prior on a dataset")
    t.add_argument("--data", required=True, help="a dataset .npz (pinnlab prior data)")
    t.add_argument("--out", required=True, help="checkpoint file (.pt)")
    t.add_argument("--objective", choices=["vp", "vp-eps", "rf"], default="vp",
                   help="VP diffusion (x0 or eps prediction) or rectified flow (default vp)")
    t.add_argument("--steps", type=positive_int, default=None,
                   help="training steps (default 1500; --quick 50)")
    t.add_argument("--quick", action="store_true", help=QUICK_HELP)
    t.add_argument("--batch", type=positive_int, default=16, help="fields per step (16)")
    t.add_argument("--base", type=positive_int, default=16,
                   help="U-Net channels at the finest level (16)")
    t.add_argument("--lr", type=positive_float, default=2e-3, help="peak learning rate (2e-3)")
    t.add_argument("--seed", type=seed_int, default=0, help="weights, batches, noise (0)")
    t.add_argument("--resume", action="store_true", help="continue from the --out checkpoint")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    t.set_defaults(func=cmd_train)

    s = sub.add_parser("sample", help="unconditional samples")
    s.add_argument("--checkpoint", required=True, help="a trained prior (pinnlab prior train)")
    s.add_argument("--data", required=True, help="dataset file (for the grid)")
    s.add_argument("--n", type=positive_int, default=8, help="samples (8)")
    s.add_argument("--method", default="unipc", help="sampler (unipc; see pinnlab.generative."
                   "sampling)")
    s.add_argument("--nfe", type=positive_int, default=20, help="network evaluations (20)")
    s.add_argument("--seed", type=seed_int, default=0, help="seeds the noise (0)")
    s.add_argument("--out", required=True, help=".npz with the samples (and a .png next to it)")
    s.set_defaults(func=cmd_sample)


def _out_file(path: str, key: str = "--out") -> str:
    from ..io import check_output_file

    return check_output_file(path, key=key)


def cmd_data(args: argparse.Namespace) -> int:
    from .datasets import family_dataset

    _out_file(args.out)
    fill_budget(args, {"n": (2000, 64)})
    ds = family_dataset(args.spec or args.family or "heat", args.n, seed=args.seed)
    ds.save(args.out)
    print(f"wrote {args.out}: fields {ds.fields.shape}, params {ds.param_names}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..api import check_device
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
                      batch=args.batch, lr=args.lr, seed=args.seed)
    _, losses = train_prior(ds.fields, cfg, checkpoint=args.out, resume=args.resume,
                            device=check_device(args.device, key="--device"),
                            progress=not args.quiet)
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


def _plot_fields(fields, titles, path):
    import numpy as np

    from ..plots import pyplot, write

    fig, axes = pyplot().subplots(1, len(fields), figsize=(3.2 * len(fields), 3), squeeze=False)
    for ax, f, title in zip(axes[0], fields, titles, strict=True):
        f = np.asarray(f)
        if f.ndim == 1:
            ax.plot(f)
        else:
            im = ax.imshow(f, origin="lower", aspect="auto")
            fig.colorbar(im, ax=ax)
        ax.set_title(title)
    write(fig, path, dpi=100)
