r"""Progressive training (ProCoGAN, docs/theory.md section 7): one closed-form stage per resolution.

At stage ``i`` the images resized to :math:`r_i` (flattened HWC, centred per pixel) have second moment
:math:`S_X`; the stage solves the quadratic-critic problem of :mod:`convexgan.progressive.stage` with its
input :math:`\hat z_i`, keeps :math:`W_i`, and the final samples are pushed through every :math:`W_i`.

``mode="principled"`` (default): :math:`\hat z_1 = z_1` and :math:`\hat z_i = [\mathrm{up}(g_{i-1}), c_i z_i]`
with :math:`f_i = \max(k_i - k_{i-1}, 0)` fresh latent columns, so that :math:`\operatorname{rank}(\hat z_i)
\ge k_i` and every stage is feasible; the input second moment is the exact one of the affine map (no noise
rows). The fresh columns are scaled by :math:`c_i^2 = \tfrac14 s^2_{\min}` (``fresh_ratio``), where
:math:`s^2_{\min} = 4(\lambda_{k_{i-1}} - \beta_{i-1})` is the smallest kept input eigenvalue coming from the
previous stage, so they rank below the previous stage's directions and only supply the directions it lacks.
No constant column: the data are centred and the mean is added back at sampling, so the samples have the
data mean exactly (a constant input would be paired with a data direction and shift every sample along it).
Among the optimal solutions (each kept pair's sign is free) the one whose output correlates best with the
upsampled previous stage is taken, and the report gives the stage coherence
:math:`E\|g_i - \mathrm{up}(g_{i-1})\|^2 / E\|g_i\|^2`.

``mode="legacy"``: the official algorithm, for comparison (:mod:`convexgan.progressive.legacy`).

The randomness of stage ``i`` (legacy noise rows, sample grids) derives from ``(seed, i)`` only, so a resumed
run ends with the same weights as an uninterrupted one. Each stage writes its sample grid, then ``report.json``,
then its checkpoint (atomically, last): a stage counts as finished exactly when its checkpoint exists, and a
resumed run trims the report to the finished stages.
"""

import math
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

import convexgan
from convexgan._limits import check_bytes
from convexgan._validation import check_choice, check_int, check_positive
from convexgan.data import open_images
from convexgan.exceptions import RankDefectWarning
from convexgan.plotting import save_image_grid
from convexgan.progressive import legacy
from convexgan.progressive.checkpoint import save_stage, stage_path
from convexgan.progressive.distributed import barrier, init_from_environment, world
from convexgan.progressive.eigen import METHODS
from convexgan.progressive.generator import ProgressiveGenerator, StageWeights, stage_input_map
from convexgan.progressive.moments import accumulate_moments
from convexgan.progressive.run import REPORT, grid_path, open_run, write_json
from convexgan.progressive.seeds import stage_seed
from convexgan.progressive.stage import (
    check_feasible,
    closed_form_factor,
    constraint_value,
    data_spectrum,
    input_spectrum,
)

OFFICIAL_K = (20, 30, 40, 100, 175)
FRESH_RATIO = 0.25
MODES = ("principled", "legacy")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
GRID_SAMPLES = 64


def resolve_device(device):
    """``'auto'`` -> CUDA when available, else CPU."""
    check_choice(device, "device", ("auto", "cpu", "cuda"))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device='cuda' was requested but torch.cuda.is_available() is False")
    return torch.device(device)


def _check_resolutions(resolutions):
    resolutions = [check_int(r, "resolution", 1, 4096) for r in resolutions]
    if not resolutions:
        raise ValueError("resolutions must list at least one resolution")
    for a, b in zip(resolutions, resolutions[1:]):
        if b != 2 * a:
            raise ValueError(f"resolutions={resolutions} must double at every stage; {b} follows {a}")
    return resolutions


def _check_schedule(resolutions, k, beta):
    T = len(resolutions)
    if k is not None and beta is not None:
        raise ValueError("give k or beta, not both")
    if k is None and beta is None:
        if T > len(OFFICIAL_K):
            raise ValueError(f"the default k {list(OFFICIAL_K)} covers {len(OFFICIAL_K)} stages; give k for {T}")
        return list(OFFICIAL_K[:T]), None
    values = k if k is not None else beta
    values = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values] * T
    if len(values) != T:
        name = "k" if k is not None else "beta"
        raise ValueError(f"{name}={values} must have one entry per resolution ({T})")
    if k is not None:
        return [check_int(v, "k", 1, 10**9) for v in values], None
    return None, [check_positive(v, "beta") for v in values]


def _describe(data):
    if isinstance(data, np.ndarray):
        return f"array {data.shape} {data.dtype} sum {float(np.asarray(data, dtype=np.float64).sum())!r}"
    if isinstance(data, (str, Path)):
        return str(Path(data).resolve())
    return getattr(data, "description", repr(data))


def _peak_memory():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def train(data, out, *, resolutions=(4, 8, 16, 32, 64), k=None, beta=None, mode="principled", n_images=None,
          latent=48, crop=False, attributes=None, device="auto", dtype="float32", seed=0, resume=False,
          strict=False, noise_rows=None, legacy_dtype="auto", eigensolver="auto", chunk_size=256, fresh_ratio=FRESH_RATIO,
          progress=True):
    r"""Train a progressive generator into a run folder.

    Parameters
    ----------
    data : path, ndarray or convexgan.data.ImageSource
        Image folder (CelebA layout accepted), tar archive, ``.npz``/IDX, or array (see
        :func:`convexgan.data.open_images`).
    out : path
        Run folder (created). See :mod:`convexgan.progressive.run` for its content.
    resolutions : sequence of int
        Doubling sequence, e.g. ``(4, 8, 16, 32, 64)``.
    k, beta : int, float or sequences, optional
        Kept components or critic regularisation (mean units) per stage; at most one. Default: the official
        ``k = [20, 30, 40, 100, 175]`` truncated to the number of stages.
    mode : {'principled', 'legacy'}
        See the module docstring.
    n_images : int or None
        Use the first ``n_images`` images.
    latent : int
        Latent columns of the first stage (must be ``>= k_1`` in principled mode).
    crop : bool
        Official CelebA centre crop.
    attributes : dict or None
        CelebA attribute filter, e.g. ``{"Smiling": True}``.
    device : {'auto', 'cpu', 'cuda'}
    dtype : {'float32', 'float64'}
        Dtype of the per-image work and of sampling; eigen-solves, stored weights and certificates are float64.
    seed : int
    resume : bool
        Continue a run in ``out`` (same configuration), skipping its finished stages.
    strict : bool
        Stop at the first unreadable image instead of skipping it.
    noise_rows : int or None
        Legacy mode: noise rows per stage (default: the number of images, as the official code).
    legacy_dtype : {'auto', 'float64', 'float32'}
        Legacy mode: the official code's arithmetic (see :mod:`convexgan.progressive.legacy`); 'auto' = float64
        on CPU (its numpy path), float32 on CUDA (its torch path).
    eigensolver : str
        Method for the data eigenpairs in principled mode (see :mod:`convexgan.progressive.eigen`).
    chunk_size : int
        Images decoded per chunk.
    fresh_ratio : float
        Principled mode: :math:`c_i^2 / s^2_{\min}`, the variance of the fresh columns relative to the smallest
        input direction coming from the previous stage (default 1/4: they rank below it).
    progress : bool
        Show tqdm progress bars.

    Returns
    -------
    ProgressiveGenerator
    """
    resolutions = _check_resolutions(resolutions)
    k, beta = _check_schedule(resolutions, k, beta)
    check_choice(mode, "mode", MODES)
    check_choice(dtype, "dtype", tuple(DTYPES))
    check_choice(eigensolver, "eigensolver", METHODS)
    check_choice(legacy_dtype, "legacy_dtype", ("auto", *legacy.DTYPES))
    latent = check_int(latent, "latent", 1, 10**6)
    seed = check_int(seed, "seed", 0, 2**63 - 1)
    if noise_rows is not None:
        noise_rows = check_int(noise_rows, "noise_rows", 1, 10**9)
    device = resolve_device(device)
    init_from_environment(device)
    rank, size = world()
    config = {
        "data": _describe(data), "resolutions": resolutions, "k": k, "beta": beta, "mode": mode,
        "n_images": n_images, "latent": latent, "crop": bool(crop), "attributes": attributes, "dtype": dtype,
        "seed": seed, "noise_rows": noise_rows, "legacy_dtype": legacy_dtype, "eigensolver": eigensolver,
        "fresh_ratio": check_positive(fresh_ratio, "fresh_ratio"),
    }
    with open_images(data, n_images=n_images, crop=crop, attributes=attributes, strict=strict) as source, \
            open_run(out, config, source, resume=resume, rank=rank) as (stages, report):
        return _train_stages(source, Path(out), config, stages, report, device, chunk_size, progress)


def _train_stages(source, out, config, stages, report, device, chunk_size, progress):
    """Train the stages not finished yet; each writes its grid, then the report, then its checkpoint into ``out``."""
    rank, size = world()
    resolutions, seed, dtype = config["resolutions"], config["seed"], config["dtype"]
    todo = list(range(len(stages), len(resolutions)))
    if not todo:
        return ProgressiveGenerator(stages, config)
    sizes = [(resolutions[i] ** 2 * source.channels) ** 2 for i in todo]
    check_bytes(sum(sizes) * (8 + DTYPES[dtype].itemsize), f"the second moments of resolutions "
                f"{[resolutions[i] for i in todo]} (d x d float64 sums and {dtype} buffers, d = r * r * channels)")
    start = time.perf_counter()
    with tqdm(total=math.ceil(len(source) / size), desc="moments", unit="img", disable=not progress or rank) as bar:
        moments = accumulate_moments(source, [resolutions[i] for i in todo], device=device, dtype=DTYPES[dtype],
                                     chunk_size=chunk_size, progress=bar, base=resolutions[-1])
    report.update(n_images=moments[resolutions[todo[0]]].n, skipped_images=source.skipped, device=str(device),
                  world_size=size, package_version=convexgan.__version__)
    report.setdefault("moments_seconds", []).append(time.perf_counter() - start)
    for i in tqdm(todo, desc="stages", disable=not progress or rank):
        stage, info = _solve_stage(i, stages, moments[resolutions[i]], config, device)
        stages.append(stage)
        report["stages"].append(info)
        eigenvalues = info.pop("_eigenvalues")
        if rank == 0:
            images = ProgressiveGenerator(stages).sample(GRID_SAMPLES, seed=stage_seed(seed, i), clip=True)
            save_image_grid(images, grid_path(out, i, resolutions[i]), ncols=8)
            write_json(out / REPORT, report)
            save_stage(stage_path(out, i, resolutions[i]), stage, eigenvalues=eigenvalues, beta=info["beta"],
                       seed=seed, config=config)
    barrier()
    return ProgressiveGenerator(stages, config)


def _solve_stage(i, stages, moments, config, device):
    start = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    solve = legacy.solve_stage if config["mode"] == "legacy" else _principled_stage
    stage, info = solve(i, stages, moments, config, device)
    info.update(seconds=time.perf_counter() - start, peak_memory_bytes=_peak_memory())
    if device.type == "cuda":
        info["cuda_peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    return stage, info


def _principled_stage(i, stages, moments, config, device):
    r = moments.resolution
    label = f"stage {i} ({r}x{r})"
    schedule = {"k": config["k"][i]} if config["k"] else {"beta": config["beta"][i]}
    second = moments.second
    lam, V, beta, eig = data_spectrum(second, method=config["eigensolver"], n=moments.n, eps=moments.eps,
                                      raw_scale=moments.raw_scale, **schedule)
    k = lam.numel()
    if i == 0:
        fresh, scale = config["latent"], 1.0
        up_info = {}
    else:
        F_up, _ = stage_input_map(stages, 0, 0.0, False)
        up_s2, _, up_rank = input_spectrum(F_up)
        fresh = max(k - up_rank, 0)
        scale = math.sqrt(config["fresh_ratio"] * float(up_s2[up_rank - 1]))
        up_info = {"previous_rank": up_rank, "previous_s2_min": float(up_s2[up_rank - 1])}
    ones = False
    F, _ = stage_input_map(stages, fresh, scale, ones)
    s2, Q, rank = input_spectrum(F)
    check_feasible(k, rank, float(lam[rank]) if rank < k else beta, label)
    B = closed_form_factor(lam, s2.to(lam.device), Q.to(lam.device), beta)
    FB = F.to(B.device) @ B
    if i > 0:
        B, coherence = _align_with_previous(B, FB, F[:, : moments.d].to(B.device), V)
        FB = F.to(B.device) @ B
        up_info["coherence"] = coherence
    C = FB.T @ FB
    input_info = dict(up_info, rank=rank, kept_s2_min=float(s2[k - 1]), kept_s2_max=float(s2[0]),
                      fresh_scale_squared=scale**2)
    value = constraint_value(second, V, C, beta, config["eigensolver"])
    if value > 1 + 1e-6:
        warnings.warn(f"{label}: constraint value ||S_X - S_G||_2 / beta = {value!r} exceeds 1 + 1e-6: the stage is "
                      f"not exact (eigen-solver residual {eig['residual']:.3g}, kept eigenvalues down to "
                      f"{float(lam[-1]):.3g}, beta {beta:.3g})", RuntimeWarning, stacklevel=4)
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


def _align_with_previous(B, FB, U, V):
    r"""Choose the signs of the kept pairs so that the stage refines the previous one.

    Flipping a pair :math:`(q_j, v_j) \to (-q_j, v_j)` keeps :math:`S_G` and :math:`\|W\|_F` (both optimal
    solutions); with :math:`g = z F B V^T` and :math:`\mathrm{up}(g_{i-1}) = z U` (``z ~ N(0, I)``),
    :math:`E\langle g, \mathrm{up}(g_{i-1})\rangle = \sum_j (F B)_{:j} \cdot (U V)_{:j}`, so each sign is
    taken to make its term non-negative.

    Returns
    -------
    B : torch.Tensor (p, k)
        With aligned signs.
    coherence : float
        :math:`E\|g - \mathrm{up}(g_{i-1})\|^2 / E\|g\|^2` after alignment (0: the stage only adds detail).
    """
    terms = (FB * (U @ V)).sum(0)
    signs = torch.where(terms < 0, -1.0, 1.0).to(B.dtype)
    G = (FB * signs) @ V.T
    return B * signs, float((G - U).square().sum() / G.square().sum())
