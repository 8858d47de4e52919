r"""Legacy mode: one stage of the official ProCoGAN algorithm (THEORY section 7), for comparison.

The stage input is :math:`\hat z_1 = [z, 1]` and :math:`\hat z_i = [\mathrm{up}(g_{i-1}), 1]`, computed from
``noise_rows`` fresh noise rows per stage; its eigenpairs come from the full SVD of :math:`\hat Z` below
64 x 64 and from the randomized SVD (``q = k``, 2 power iterations) from 64 x 64 (likewise for the data).
A :class:`~convexgan.exceptions.RankDefectWarning` is issued when :math:`k_i > \operatorname{rank}(\hat Z_i)`:
the closed form then divides by singular values that are rounding noise.
"""

import warnings

import torch

from convexgan.exceptions import RankDefectWarning
from convexgan.progressive.generator import ProgressiveGenerator, StageWeights, stage_input_map, upsample
from convexgan.progressive.eigen import seeded
from convexgan.progressive.seeds import stage_seed
from convexgan.progressive.stage import closed_form_factor, constraint_value, data_spectrum, input_spectrum

RANDOMIZED_FROM = 64
DTYPES = {"float64": torch.float64, "float32": torch.float32}


def working_dtype(config, device):
    """The dtype of the official code's path: ``legacy_dtype``, 'auto' = float64 on CPU, float32 on CUDA."""
    name = config["legacy_dtype"]
    if name == "auto":
        name = "float32" if device.type == "cuda" else "float64"
    return DTYPES[name]


def solve_stage(i, stages, moments, config, device):
    r"""Solve legacy stage ``i`` on the data ``moments`` after the solved ``stages``.

    Returns
    -------
    stage : StageWeights
    info : dict
        The stage's report entry (kept eigenvalues, beta, constraint value :math:`\|S_X - S_G\|_2 / \beta`
        on the stage's noise rows, input rank, weight norm); ``_eigenvalues`` holds the kept eigenvalues for
        the checkpoint.
    """
    r = moments.resolution
    label = f"stage {i} ({r}x{r})"
    schedule = {"k": config["k"][i]} if config["k"] else {"beta": config["beta"][i]}
    second = moments.second
    method = "randomized" if r >= RANDOMIZED_FROM else "dense"
    lam, V, beta, eig = data_spectrum(second, method=method, n=moments.n, eps=moments.eps,
                                      raw_scale=moments.raw_scale, **schedule)
    k = lam.numel()
    fresh, scale, ones = (config["latent"] if i == 0 else 0), 1.0, True
    F, b = stage_input_map(stages, fresh, scale, ones)
    _, _, rank = input_spectrum(torch.cat([F, b[None]]))
    if k > rank:
        warnings.warn(
            f"legacy {label}: k={k} exceeds rank(Zhat)={rank}; the closed form is infeasible and divides by "
            f"singular values that are rounding noise (THEORY section 7); use mode='principled'",
            RankDefectWarning, stacklevel=4,
        )
    s2, Q, noise = _legacy_input(i, stages, k, config, device, moments.n)
    B = closed_form_factor(lam, s2.to(lam.device), Q.to(lam.device), beta)
    ZB = torch.cat([rows.double() @ B.to(noise.device) for rows in noise.split(4096)])
    C = (ZB.T @ ZB / noise.shape[0]).to(second.device)
    input_info = {"rank": rank, "noise_rows": noise.shape[0], "kept_s2_min": float(s2[k - 1]) if s2.numel() >= k else 0.0}
    value = constraint_value(second, V, C, beta, config["eigensolver"])
    stage = StageWeights(r, moments.channels, moments.mean.cpu(), B.cpu(), V.cpu(), fresh, scale, ones)
    info = {
        "index": i, "resolution": r, "d": moments.d, "k": k, "beta": beta,
        "kept_eigenvalues": lam.cpu().tolist(), "next_eigenvalue": eig["next_eigenvalue"],
        "constraint_value": value,
        "eigensolver": {"method": eig["method"], "residual": eig["residual"],
                        "relative_residual": eig["relative_residual"]},
        "input": dict(input_info, fresh=fresh, ones=ones),
        "weight_norm": float(torch.linalg.matrix_norm(B)),
        "_eigenvalues": lam.cpu(),
    }
    return stage, info


def _legacy_input(i, stages, k, config, device, n):
    r"""Legacy stage input from fresh noise rows, with the official SVD choices.

    Returns ``(s2, Q, Zhat)``: eigenpairs of :math:`\hat Z^T \hat Z / m` (float64, CPU) and :math:`\hat Z` in the
    working dtype, ``m = noise_rows`` or the number of images ``n``.
    """
    dtype = working_dtype(config, device)
    m = config["noise_rows"] or n
    if m < k:
        raise ValueError(f"noise_rows={m} must be at least k={k} (legacy stage {i} needs k singular directions)")
    r = 2 * stages[-1].resolution if stages else config["resolutions"][0]
    generator = torch.Generator().manual_seed(stage_seed(config["seed"], i))
    z = torch.randn(m, config["latent"], generator=generator, dtype=torch.float64).to(device=device, dtype=dtype)
    ones = torch.ones(m, 1, dtype=dtype, device=device)
    if i == 0:
        Zhat = torch.cat([z, ones], 1)
    else:
        g = ProgressiveGenerator(stages).centred([z], dtype=dtype, device=device)
        Zhat = torch.cat([upsample(g, stages[-1].resolution, stages[-1].channels), ones], 1)
    if r >= RANDOMIZED_FROM:
        with seeded(stage_seed(config["seed"], i), device):
            _, s, Q = torch.svd_lowrank(Zhat, q=k, niter=2)
    else:
        _, s, Qt = torch.linalg.svd(Zhat, full_matrices=False)
        Q = Qt.T
    return (s.double() ** 2 / m).cpu(), Q.double().cpu(), Zhat
