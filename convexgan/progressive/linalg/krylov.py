r"""Block Krylov eigen-solver of a symmetric PSD operator given only through its products (no ``d x d`` matrix)."""

import warnings
from typing import Any

import torch

from convexgan._validation import check_int
from convexgan.choices import RESIDUAL_TOLERANCE
from convexgan.exceptions import ConvergenceWarning
from convexgan.progressive.linalg.dense import _fix_signs, _start_block

WELL_CONDITIONED = 1e-3


def _orthonormal_complement(W: torch.Tensor, Q: torch.Tensor | None, drop: float = 1e-8) -> torch.Tensor:
    r"""An orthonormal basis of the part of :math:`\operatorname{span}(W)` orthogonal to ``Q``.

    Columns are normalised, projected out of ``Q`` twice (classical Gram-Schmidt, twice is enough), and the
    directions whose singular value falls below ``drop`` (already in ``span(Q)``) are dropped. The left singular
    vectors are orthonormal, and orthogonal to ``Q`` to :math:`\epsilon / \sigma_{\min}`; when a kept
    :math:`\sigma` is below :data:`WELL_CONDITIONED` they are projected and orthonormalised once more.
    """
    norms = torch.linalg.vector_norm(W, dim=0)
    W = W[:, norms > 0] / norms[norms > 0]
    for _ in range(2):
        if Q is not None and Q.shape[1]:
            W = W - Q @ (Q.T @ W)
    if W.shape[1] == 0:
        return W
    U, sigma, _ = torch.linalg.svd(W, full_matrices=False)
    keep = sigma > drop
    U = U[:, keep]
    if Q is None or not Q.shape[1] or not bool((sigma[keep] <= WELL_CONDITIONED).any()):
        return U
    U = U - Q @ (Q.T @ U)
    return torch.linalg.qr(U)[0]


def krylov_eigenpairs(A: Any, k: int, *, tol: float = RESIDUAL_TOLERANCE, tol_last: float | None = None,
                      block: int | None = None, start: torch.Tensor | None = None, max_basis: int | None = None,
                      max_passes: int = 500) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    r"""The ``k`` largest eigenpairs of a symmetric PSD operator by block Krylov with thick restarts.

    ``A`` needs ``A.shape == (d, d)`` and ``A.matmul(V)`` for a ``(d, q)`` float64 block. The search space
    :math:`Q` (orthonormal), its image :math:`AQ` and the projection :math:`H = Q^T A Q` (extended by the new
    block's rows and columns, ``d x basis x block`` flops per step) are kept; every step does a Rayleigh-Ritz
    projection

    .. math::  Q^T A Q = Y \Theta Y^T, \qquad x_j = Q y_j, \qquad r_j = (AQ) y_j - \theta_j x_j ,

    and, until :math:`\|r_j\|_2 \le \mathrm{tol}\,\theta_1` for ``j <= k``, extends :math:`Q` by the
    orthonormalised residuals of the unconverged wanted Ritz pairs (one product, that is one pass over the
    data, per step); the ``block - k`` guard pairs are kept through restarts, which speeds up the convergence
    of the last wanted ones. Residuals lie in :math:`A\,\operatorname{span}(Q)`, so the space is the block
    Krylov space of the start block (block Lanczos with full re-orthogonalisation). When :math:`Q` would exceed
    ``max_basis`` columns it restarts from the first ``block`` Ritz vectors (their images :math:`(AQ)Y` are
    kept, so a restart costs no pass). The start block is ``start`` completed by the seeded Gaussian block of
    :func:`_start_block` (reproducible across library versions).

    The residuals are measured from the stored products :math:`AQ` (each computed by one product; after restarts
    recombined in float64, so they equal :math:`A x_j - \theta_j x_j` to rounding,
    :math:`O(\epsilon\,\theta_1\,\text{basis})`).

    Parameters
    ----------
    A : operator (see above)
    k : int
        ``1 <= k <= d``.
    tol : float
        Relative residual :math:`\|A x_j - \theta_j x_j\| / \theta_1` required of every returned pair.
    tol_last : float or None
        Also require :math:`\|A x_j - \theta_j x_j\| \le \mathrm{tol\_last}\,\theta_k` (relative to the
        smallest wanted Ritz value, which is :math:`\beta` for a stage): the certificate's excess over 1 is
        about :math:`2\|E\|_2 / \beta`, so this keeps it near ``tol_last`` whatever :math:`\lambda_1 / \beta`.
    block : int or None
        Ritz pairs refined per step; default ``k + max(8, k // 4)`` (the guard pairs speed convergence of the
        last wanted ones).
    start : torch.Tensor (d, s) or None
        Warm start (e.g. the Ritz vectors of an earlier solve).
    max_basis : int or None
        Largest search space; default ``3 * block`` (memory ``2 * 8 * d * max_basis`` bytes for ``Q``, ``AQ``).
    max_passes : int
        Products before giving up with a :class:`~convexgan.exceptions.ConvergenceWarning`.

    Returns
    -------
    lam : torch.Tensor (k,) float64, descending
    V : torch.Tensor (d, k) float64, orthonormal, deterministic signs
    info : dict
        ``method``, ``residual`` (largest absolute), ``relative_residual`` (divided by ``lam[0]``),
        ``residuals`` (per pair, absolute), ``passes`` and ``columns`` (products and columns multiplied), and
        the private ``_ritz = (X, AX)``: all ``block`` Ritz vectors (descending) and their images.

    References
    ----------
    .. [1] N. Halko, P.-G. Martinsson and J. A. Tropp, "Finding Structure with Randomness: Probabilistic Algorithms
           for Constructing Approximate Matrix Decompositions", SIAM Review 53(2), 2011.
    """
    d = A.shape[0]
    k = check_int(k, "k", 1, d)
    device = getattr(A, "device", torch.device("cpu"))
    block = min(d, block or k + max(8, k // 4))
    max_basis = min(d, max(max_basis or 3 * block, block + 1))
    X = _start_block(d, block, device)
    if start is not None:
        start = start.to(device=device, dtype=torch.float64)[:, :block]
        X = torch.cat([start, X[:, start.shape[1]:]], 1)
    Q = _orthonormal_complement(X, None)
    AQ = A.matmul(Q)
    passes, columns = 1, Q.shape[1]
    H = Q.T @ AQ
    while True:
        theta, Y = torch.linalg.eigh((H + H.T) / 2)
        theta, Y = theta.flip(0), Y.flip(1)
        m = min(block, Q.shape[1])
        X, AX = Q @ Y[:, :m], AQ @ Y[:, :m]
        residuals = torch.linalg.vector_norm(AX - X * theta[:m], dim=0)
        scale = max(float(theta[0]), float(torch.finfo(torch.float64).tiny))
        threshold = tol * scale if tol_last is None else min(tol * scale, tol_last * max(float(theta[k - 1]), 0.0))
        open_ = torch.nonzero(residuals[:k] > threshold).flatten()
        if open_.numel() == 0 or Q.shape[1] >= d:
            break
        if passes >= max_passes:
            warnings.warn(f"block Krylov stopped after {passes} products with residual "
                          f"{float(residuals[:k].max()):.3g} > {threshold:.3g} among the top {k} pairs",
                          ConvergenceWarning, stacklevel=2)
            break
        if Q.shape[1] + open_.numel() > max_basis:
            Q, AQ, H = X, AX, Y[:, :m].T @ H @ Y[:, :m]
        W = _orthonormal_complement(AX[:, open_] - X[:, open_] * theta[open_], Q)
        if W.shape[1] == 0:
            break
        AW = A.matmul(W)
        QAW = Q.T @ AW
        H = torch.cat([torch.cat([H, QAW], 1), torch.cat([QAW.T, W.T @ AW], 1)], 0)
        Q, AQ = torch.cat([Q, W], 1), torch.cat([AQ, AW], 1)
        passes, columns = passes + 1, columns + W.shape[1]
    lam, V = theta[:k], _fix_signs(X[:, :k])
    signs = torch.sign((V * X[:, :k]).sum(0))
    AX = torch.cat([AX[:, :k] * signs, AX[:, k:]], 1)
    residual = float(residuals[:k].max())
    return lam, V, {"method": "operator", "residual": residual, "relative_residual": residual / scale,
                    "residuals": residuals[:k].tolist(), "passes": passes, "columns": columns,
                    "_ritz": (torch.cat([V, X[:, k:]], 1), AX)}

