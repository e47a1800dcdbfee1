"""Run diffusers 0.42 schedulers on the exact Gaussian-mixture model, configured like-for-like
(samplers.md sec. 3): DDPM linear beta table (1e-4 .. 0.02, 1000 steps), start at timestep 999 from
the
same x_T, no x0 clipping, trailing spacing for DDIM/PNDM, alpha_0 = 1, final step to zero noise
where the
scheduler can take it (DEIS and the noise-prediction DPM-Solver stop at sigma_tilde(t=0) = 0.01).

Each entry of :data:`CONFIGS` maps a label to (scheduler factory, NFE -> number of steps).
"""

from __future__ import annotations

import numpy as np
import torch

VP_TABLE = dict(num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear")


def _configs():
    from diffusers import (
        DDIMScheduler,
        DEISMultistepScheduler,
        DPMSolverMultistepScheduler,
        FlowMatchEulerDiscreteScheduler,
        PNDMScheduler,
        UniPCMultistepScheduler,
    )

    same = lambda n: n  # noqa: E731 - one NFE per step
    return {
        "DDIM": (lambda: DDIMScheduler(**VP_TABLE, clip_sample=False, timestep_spacing="trailing",
                                       set_alpha_to_one=True), same),
        "PNDM (PLMS)": (lambda: PNDMScheduler(**VP_TABLE, skip_prk_steps=True,
                                              timestep_spacing="trailing", set_alpha_to_one=True),
                        lambda n: n - 1),
        "DEIS-3": (lambda: DEISMultistepScheduler(**VP_TABLE, solver_order=3), same),
        "DPMSolver++ 3M logSNR": (lambda: DPMSolverMultistepScheduler(
            **VP_TABLE, solver_order=3, algorithm_type="dpmsolver++", use_lu_lambdas=True), same),
        "DPMSolver++ 2M": (lambda: DPMSolverMultistepScheduler(
            **VP_TABLE, solver_order=2, algorithm_type="dpmsolver++"), same),
        "DPMSolver++ 3M": (lambda: DPMSolverMultistepScheduler(
            **VP_TABLE, solver_order=3, algorithm_type="dpmsolver++"), same),
        "DPMSolver 3M (noise)": (lambda: DPMSolverMultistepScheduler(
            **VP_TABLE, solver_order=3, algorithm_type="dpmsolver", final_sigmas_type="sigma_min"),
            same),
        "DPMSolver 3M (noise) logSNR": (lambda: DPMSolverMultistepScheduler(
            **VP_TABLE, solver_order=3, algorithm_type="dpmsolver", final_sigmas_type="sigma_min",
            use_lu_lambdas=True), same),
        "UniPC-3 bh2": (lambda: UniPCMultistepScheduler(**VP_TABLE, solver_order=3,
                                                        solver_type="bh2"), same),
        "UniPC-2 bh2": (lambda: UniPCMultistepScheduler(**VP_TABLE, solver_order=2,
                                                        solver_type="bh2"), same),
        "FlowMatchEuler": (lambda: FlowMatchEulerDiscreteScheduler(num_train_timesteps=1000,
                                                                   shift=1.0), same),
    }


def start_sigma_tilde() -> float:
    """sigma_tilde at timestep 999 of the DDPM linear table (~157.4)."""
    betas = np.linspace(1e-4, 0.02, 1000)
    abar = np.cumprod(1.0 - betas)[-1]
    return float(np.sqrt((1.0 - abar) / abar))


def run_config(label: str, gm, y_T: np.ndarray, nfe: int) -> tuple[np.ndarray, int]:
    """Sample with diffusers config ``label`` from y_T (schedule-free frame at sigma_tilde(999)).
    Returns (x0 samples, NFE actually spent)."""
    factory, steps_of = _configs()[label]
    sch = factory()
    steps = steps_of(nfe)
    calls = [0]
    y_T = torch.as_tensor(y_T, dtype=torch.float64)
    if label == "FlowMatchEuler":
        s0 = start_sigma_tilde() / (1.0 + start_sigma_tilde())
        sch.set_timesteps(sigmas=np.linspace(s0, s0 / steps, steps).tolist())
        x = (1.0 - s0) * y_T

        def model(x, t):
            calls[0] += 1
            s = float(t) / 1000.0
            y, st = x / (1.0 - s), s / (1.0 - s)
            return gm.eps(y, st) - gm.denoise(y, st)
    else:
        sch.set_timesteps(steps)
        abar = sch.alphas_cumprod.double()
        x = y_T * float(abar[999].sqrt()) * sch.init_noise_sigma

        def model(x, t):
            calls[0] += 1
            a = float(abar[int(t)])
            return gm.eps(x / a**0.5, ((1.0 - a) / a) ** 0.5)
    scale = getattr(sch, "scale_model_input", lambda x, t: x)
    for t in sch.timesteps:
        x = sch.step(model(scale(x, t), t), t, x).prev_sample
    return x.numpy(), calls[0]


def labels() -> list[str]:
    return list(_configs())
