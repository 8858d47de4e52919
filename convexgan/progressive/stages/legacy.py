r"""Legacy mode: one stage of the official ProCoGAN algorithm as its notebook computes it (:ref:`theory-progressive`).

The official code (``layerwise()`` of ``supplement_celebA_procogan.ipynb`` in ardasahiner/ProCoGAN) draws
``m`` fresh noise rows per stage, :math:`Z \sim N(0, I_{48})`, and pushes them through the previous stages
with **dense** weight matrices:

.. math::  \hat Z_1 = [Z, 1], \qquad \hat Z_i = [\mathrm{up}(\hat Z_{i-1} W_{i-1}), 1],
           \qquad W_i = Q_k \operatorname{diag}\Big(\sqrt{\tfrac{\lambda_k - \beta}{s_k^2}}\Big) V_k^T ,

with :math:`s^2` and :math:`Q` the squared singular values (over ``m``) and right singular vectors of
:math:`\hat Z_i`, :math:`\lambda, V` the eigenpairs of :math:`S_X` and :math:`\beta = \lambda_{k+1}`. It has
two arithmetic paths, selected here by ``legacy_dtype`` (``'auto'``: float64 on CPU, float32 on CUDA):

- **float64** (its numpy CPU path): full SVDs of :math:`\hat Z` and of the data at every resolution;
- **float32** (its torch CUDA path): full SVDs below 64 x 64, from 64 x 64 the randomized SVD
  (``torch.svd_lowrank``, 2 power iterations) with ``q = k`` for :math:`\hat Z` and ``q = k + 1`` for the
  data (:func:`randomized_eigenpairs` runs it on :math:`S_X`).

Every product :math:`\hat Z W` and every :math:`W` runs in the path's dtype. When :math:`k > \operatorname{rank}
\hat Z` the closed form divides by singular values at the rounding level, so :math:`W` has entries near
:math:`10^{14}` (float64) or :math:`10^{6}` (float32), and its rounding error, of singular values
:math:`\epsilon \|W\|`, fills every pixel direction of the next stage's input: whether that stage is
feasible then depends on the rounding (the 16 x 16 stage of the official run on CelebA is, its 8 x 8 and
32 x 32 stages are not). A :class:`~convexgan.exceptions.RankDefectWarning` is issued when ``k`` exceeds the
numerical rank of the propagated :math:`\hat Z` at the dtype in use.

Differences from the notebook, all at the rounding level of the path: :math:`\lambda, V` come from the float64
eigen-decomposition of the streamed moment :math:`S_X` rather than an SVD of the data matrix (the float32 path
casts them to float32 before forming :math:`W`), and :math:`W` is formed as :math:`\mathrm{fl}(B V_k^T)` from
the float64 factor :math:`B = Q_k \operatorname{diag}(\sqrt{(\lambda_k - \beta)/s_k^2})` (the stored stage) rather
than from the product of the four factors; the float32 path's randomized SVD of the data is run on :math:`S_X`
(identical to the notebook's for as many images as pixels or more, given the same test matrix; equal in law up to a
rounding-level shift otherwise, see :func:`randomized_eigenpairs`); the noise comes from torch's generator seeded
per stage. Samples and
checkpoints use the factored weights :math:`(B, V)`; the dense :math:`W` is re-formed from them, so a resumed
run propagates the same noise rows identically. A ``beta`` schedule (not in the notebook) uses the full
eigen-decomposition at every resolution.
"""

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse.linalg
import torch

from convexgan._validation import check_choice
from convexgan.choices import MATRIX_METHODS
from convexgan.exceptions import RankDefectWarning
from convexgan.progressive.linalg.dense import check_k_schedule, relative
from convexgan.progressive.linalg.eigen import eigen_residual, seeded
from convexgan.progressive.model.generator import StageWeights, upsample
from convexgan.progressive.model.seeds import stage_seed
from convexgan.progressive.pipeline.moments import Moments
from convexgan.progressive.runtime.device import TORCH_DTYPES
from convexgan.progressive.stages.closed_form import (
    EPS64,
    closed_form_factor,
    data_spectrum,
)
from convexgan.progressive.stages.report import StageOutcome, StageReport

RANDOMIZED_FROM = 64
POWER_ITERATIONS = 2
CHUNK_ROWS = 4096


def working_dtype(record: Mapping[str, Any], device: torch.device) -> torch.dtype:
    """The dtype of the official code's path: ``legacy_dtype``, 'auto' = float64 on CPU, float32 on CUDA."""
    name = record["legacy_dtype"]
    if name == "auto":
        name = "float32" if device.type == "cuda" else "float64"
    return TORCH_DTYPES[name]


def noise_rows(seed: int, index: int, m: int, latent: int) -> torch.Tensor:
    """The ``m x latent`` float64 noise rows :math:`Z` of stage ``index`` (seeded by ``(seed, index)``)."""
    generator = torch.Generator().manual_seed(stage_seed(seed, index))
    return torch.randn(m, latent, generator=generator, dtype=torch.float64)


def dense_weight(stage: StageWeights, dtype: torch.dtype, device: torch.device | str) -> torch.Tensor:
    r"""The stage's dense weight matrix :math:`W = \mathrm{fl}(B V^T)` ``(p, d)``, formed in ``dtype``."""
    return stage.B.to(device=device, dtype=dtype) @ stage.V.to(device=device, dtype=dtype).T


def propagate(stages: Sequence[StageWeights], z: torch.Tensor, dtype: torch.dtype,
              device: torch.device | str) -> torch.Tensor:
    r"""The input :math:`\hat Z` of the stage after ``stages``, from noise rows ``z``, in ``dtype``.

    .. math::  \hat Z_1 = [z, 1], \qquad \hat Z_{j+1} = [\mathrm{up}(\hat Z_j W_j), 1]

    with the dense :math:`W_j` of :func:`dense_weight`; every product and rounding is in ``dtype``.
    """
    ones = torch.ones(z.shape[0], 1, dtype=dtype, device=device)
    Zhat = torch.cat([z.to(device=device, dtype=dtype), ones], 1)
    for s in stages:
        G = Zhat @ dense_weight(s, dtype, device)
        Zhat = torch.cat([upsample(G, s.resolution, s.channels), ones], 1)
    return Zhat


def numerical_rank(s: torch.Tensor, shape: Sequence[int], dtype: torch.dtype) -> tuple[int, float]:
    r"""Numerical rank of a matrix of ``shape`` in ``dtype`` from its (leading) singular values ``s``.

    The count of :math:`s_j > \mathrm{tol} = \max(m, p)\, \epsilon\, s_1` (``numpy.linalg.matrix_rank``'s rule),
    with :math:`\epsilon` the machine epsilon of ``dtype``.

    Returns
    -------
    rank : int
    tol : float
    """
    tol = float(s[0]) * max(shape) * torch.finfo(dtype).eps if s.numel() else 0.0
    return int((s > tol).sum()), tol


def randomized_eigenpairs(S: torch.Tensor, Omega: torch.Tensor, n: int,
                          niter: int = POWER_ITERATIONS) -> tuple[torch.Tensor, torch.Tensor]:
    r"""``torch.svd_lowrank(X, q, niter)`` of the ``n x d`` data matrix ``X``, computed from :math:`S = X^T X` only.

    ``torch.svd_lowrank`` (Halko et al. 2009, algorithm 5.1; torch 2.x) draws a standard normal test matrix and,
    with ``j = niter`` (the intermediate orthonormalisations only change bases):

    - tall ``X`` (``n >= d``): :math:`\Omega \in \mathbb{R}^{d \times q}`, :math:`Q = \operatorname{orth}(X P)`,
      :math:`P = S^j \Omega`, and the SVD of :math:`B = Q^T X`, whose right singular pairs are those of

      .. math::  B^T B = S P (P^T S P)^{-1} P^T S = Y Y^T, \qquad Y = S P R^{-1}, \quad R^T R = P^T S P ;

      they depend on ``X`` only through ``S``, and with the same :math:`\Omega` this function returns the same
      values and vectors up to rounding;
    - wide ``X`` (``n < d``, torch works on :math:`X^T`): :math:`\Omega' \in \mathbb{R}^{n \times q}` and the
      Ritz pairs of ``S`` on :math:`\operatorname{span}(S^j X^T \Omega')` (:func:`ritz_pairs`). The columns of
      :math:`X^T \Omega'` are :math:`N(0, S)`, as those of :math:`L \Omega` with :math:`L L^T = S`; here
      :math:`L` is the Cholesky factor of :math:`S + \delta I`, :math:`\delta = d\, \epsilon_{64} \operatorname{tr} S`
      (``S`` is singular when ``n <= d``), so the result equals torch's in law up to that shift.

    Parameters
    ----------
    S : torch.Tensor (d, d)
        :math:`X^T X` in any positive scale (the moment :math:`X^T X / n` gives eigenvalues in mean units).
    Omega : torch.Tensor (d, q)
        Standard normal.
    n : int
        Rows of ``X`` (selects the branch).
    niter : int

    Returns
    -------
    lam : torch.Tensor (q,)
        Squared singular values (eigenvalue estimates in ``S``'s scale), descending.
    V : torch.Tensor (d, q)
        Right singular vectors.
    """
    d = S.shape[0]
    Omega = Omega.to(S.dtype)
    if n < d:
        delta = d * EPS64 * float(torch.trace(S))
        L = torch.linalg.cholesky(S + delta * torch.eye(d, dtype=S.dtype, device=S.device))
        return ritz_pairs(S, L @ Omega, niter)
    P = torch.linalg.qr(Omega).Q
    for _ in range(niter):
        P = torch.linalg.qr(S @ P).Q
    SP = S @ P
    R = torch.linalg.cholesky(P.T @ SP, upper=True)
    Y = torch.linalg.solve_triangular(R, SP, upper=True, left=False)
    V, sigma, _ = torch.linalg.svd(Y, full_matrices=False)
    return sigma**2, V


def ritz_pairs(S: torch.Tensor, Y: torch.Tensor, niter: int = POWER_ITERATIONS) -> tuple[torch.Tensor, torch.Tensor]:
    r"""Ritz pairs of ``S`` on :math:`\operatorname{span}(S^{j} Y)` (``j = niter``), descending.

    This is ``torch.svd_lowrank`` of a wide ``X`` given its start block :math:`Y = X^T \Omega'`: it returns the
    SVD of :math:`Q^T X^T` with :math:`Q = \operatorname{orth}(S^j Y)`, i.e. the eigenpairs of :math:`Q^T S Q`
    mapped back by ``Q``.
    """
    Q = torch.linalg.qr(Y).Q
    for _ in range(niter):
        Q = torch.linalg.qr(S @ Q).Q
    theta, U = torch.linalg.eigh(Q.T @ S @ Q)
    return theta.flip(0), Q @ U.flip(1)


def _data_spectrum(moments: Moments, schedule: Mapping[str, Any], randomized: bool, seed: int,
                   device: torch.device) -> tuple[torch.Tensor, torch.Tensor, float, dict[str, Any]]:
    """Kept eigenpairs of S_X and beta: the dense eigen-decomposition, or the randomized one of the float32 path.

    The randomized path refuses a ``k`` the rank or a tie cannot carry from its Ritz values' rounding only: its
    residuals (2 power iterations, as the notebook) are far above the gaps of exact data and the notebook's k is
    kept as it ran it.
    """
    if not randomized:
        return data_spectrum(moments.second, method="dense", n=moments.n, eps=moments.eps,
                             raw_scale=moments.raw_scale, **schedule)
    k, d = schedule["k"], moments.d
    if not 1 <= k <= min(d - 1, moments.n - 2):
        raise ValueError(f"k={k} must be between 1 and min(d - 1, n - 2) = {min(d - 1, moments.n - 2)} "
                         f"(d = {d}, {moments.n} images)")
    assert moments.second is not None  # legacy stages always take the d x d path (stages.policy)
    second = moments.second.to(torch.float64)
    with seeded(seed, device):
        Omega = torch.randn(d, k + 1, dtype=torch.float32, device=second.device)
    lam, V = randomized_eigenpairs(second, Omega, moments.n)
    check_k_schedule(lam, k, d, eps=moments.eps, raw_scale=moments.raw_scale)
    beta = float(lam[k])
    residual = eigen_residual(second, lam[:k], V[:, :k])
    info = {"method": "randomized (torch.svd_lowrank on S_X, q = k + 1)", "residual": residual,
            "relative_residual": relative(residual, float(lam[0])), "next_eigenvalue": beta}
    return lam[:k], V[:, :k], beta, info


def _input_spectrum(Zhat: torch.Tensor, k: int, randomized: bool, seed: int,
                    device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Singular values and right singular vectors of Zhat in its dtype (full SVD, or svd_lowrank with q = k)."""
    if randomized:
        with seeded(seed, device):
            _, s, Q = torch.svd_lowrank(Zhat, q=k, niter=POWER_ITERATIONS)
        return s, Q
    _, s, Qt = torch.linalg.svd(Zhat, full_matrices=False)
    return s, Qt.T


def output_gap(second: torch.Tensor, Zhat: torch.Tensor, W: torch.Tensor, method: str = "dense") -> float:
    r""":math:`\|S_X - G^T G / m\|_2` for the stage's output :math:`G = \hat Z W` on its ``m`` noise rows.

    ``Zhat`` and ``W`` as rounded in the path's dtype, the products and the norm in float64 (``G^T G`` summed over
    chunks of rows; the norm by ``eigvalsh`` when ``method`` is ``'dense'``, else ARPACK).
    """
    W = W.to(device=second.device, dtype=torch.float64)
    S_G = torch.zeros_like(second, dtype=torch.float64)
    for rows in Zhat.split(CHUNK_ROWS):
        G = rows.to(device=second.device, dtype=torch.float64) @ W
        S_G += G.T @ G
    D = second.to(torch.float64) - S_G / Zhat.shape[0]
    D = (D + D.T) / 2
    check_choice(method, "eigensolver", MATRIX_METHODS)
    if method == "dense":
        return float(torch.linalg.eigvalsh(D).abs().max())
    v0 = np.random.default_rng(0).standard_normal(D.shape[0])
    values = scipy.sparse.linalg.eigsh(D.cpu().numpy(), k=1, which="LM", v0=v0, return_eigenvectors=False)
    return float(np.abs(values).max())


def solve_stage(i: int, stages: Sequence[StageWeights], moments: Moments, record: Mapping[str, Any],
                device: torch.device, method: str) -> StageOutcome:
    r"""Solve legacy stage ``i`` on the data ``moments`` after the solved ``stages``.

    ``record`` is the run's record, ``method`` the stage's matrix method (the norm of the constraint).

    Returns
    -------
    StageOutcome
        The factored weights ``(B, V)`` with a constant input column, the kept eigenvalues, and the report row:
        kept eigenvalues, beta, the constraint value :math:`\|S_X - G^T G/m\|_2 / \beta` of the dense
        :math:`W` on the stage's ``m`` noise rows, :math:`\|W\|_F`, and under ``input`` the numerical rank of
        :math:`\hat Z` at the path's dtype with its tolerance.
    """
    r = moments.resolution
    dtype = working_dtype(record, device)
    randomized = dtype == torch.float32 and r >= RANDOMIZED_FROM and record["k"] is not None
    seed = stage_seed(record["seed"], i)
    schedule = {"k": record["k"][i]} if record["k"] else {"beta": record["beta"][i]}
    lam, V, beta, eig = _data_spectrum(moments, schedule, randomized, seed, device)
    k = lam.numel()
    m = record["noise_rows"] or moments.n
    if m < k:
        raise ValueError(f"noise_rows={m} must be at least k={k} (legacy stage {i} needs k singular directions)")
    fresh = record["latent"] if i == 0 else 0
    Zhat = propagate(stages, noise_rows(record["seed"], i, m, record["latent"]), dtype, device)
    s, Q = _input_spectrum(Zhat, k, randomized, seed, device)
    rank, tol = numerical_rank(s, Zhat.shape, dtype)
    if k > rank:
        counted = f"among its top {s.numel()} (randomized SVD)" if randomized else "of its singular values"
        warnings.warn(
            f"legacy stage {i} ({r}x{r}): k={k} exceeds the numerical rank {rank} of the propagated input Zhat "
            f"({Zhat.shape[0]} x {Zhat.shape[1]}, {str(dtype).removeprefix('torch.')}: {rank} {counted} above "
            f"max(m, p) * eps * s_1 = {tol:.3g}); the closed form divides by singular values at the rounding "
            f"level (s_k = {float(s[k - 1]):.3g}), so ||W|| is of order 1/s_k and the stage's feasibility is decided "
            f"by rounding (see the theory guide, progressive training); use mode='principled'",
            RankDefectWarning, stacklevel=4,
        )
    s2 = s.double().cpu() ** 2 / m
    B = closed_form_factor(lam, s2.to(lam.device), Q.double().to(lam.device), beta)
    stage = StageWeights(r, moments.channels, moments.mean.cpu(), B.cpu(), V.cpu(), fresh, 1.0, True)
    W = dense_weight(stage, dtype, device)
    assert moments.second is not None  # legacy stages always take the d x d path (stages.policy)
    value = output_gap(moments.second, Zhat, W, method) / beta
    report = StageReport(
        index=i, resolution=r, d=moments.d, k=k, beta=beta, kept_eigenvalues=lam.cpu().tolist(),
        next_eigenvalue=eig["next_eigenvalue"], constraint_value=value, certificate=None,
        eigensolver={"method": eig["method"], "residual": eig["residual"],
                     "relative_residual": eig["relative_residual"]},
        input={"rank": rank, "rank_tolerance": tol, "dtype": str(dtype).removeprefix("torch."),
               "noise_rows": m, "kept_s2_min": float(s2[k - 1]), "fresh": fresh, "ones": True},
        weight_norm=float(torch.linalg.matrix_norm(W.double())),
    )
    return StageOutcome(stage, lam.cpu(), report)
