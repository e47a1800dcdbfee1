"""One training per family at METALIC's own budget (1000 Adam + up to 10 000 L-BFGS), to size a
bandit session at that budget: XPINN's interface condition, seed 500, one torch thread, the
families' other defaults (2-[20]*2-1 per subdomain, 1000 residual points per subdomain).

    python results/metalic/paper_budget_probe.py > results/metalic/paper_budget_probe.txt

Prints per family: the spec, the relative L2 error, the CPU seconds of the training and why
each phase stopped.
"""

import torch

from pinnlab.bandit.trials import run_trial, trial

XPINN = (0, 1, 0, 1, 0, 0, 0, 0, 0)

if __name__ == "__main__":
    torch.set_num_threads(1)
    for spec, ctx in (("problems/metalic/burgers.toml", {"nu": 0.01}),
                      ("problems/metalic/kdv.toml", {"c": 5.0})):
        t = trial(spec, ctx, XPINN, seed=500, options={"adam_steps": 1000, "lbfgs_steps": 10000})
        r = run_trial(t)
        print(spec, r["error"], r["cpu_s"], r["stops"], flush=True)
