r"""Top eigenpairs of the data moment from the ``n x n`` Gram matrix of the centred images (``n < d``)."""

from typing import Any

import numpy as np
import torch

from convexgan._validation import check_int
from convexgan.progressive.linalg.dense import (
    _fix_signs,
    matrix_eigenpairs,
    matrix_method,
    relative,
)
from convexgan.progressive.runtime.distributed import world


def gram_eigenpairs(A: Any, k: int) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    r"""Top eigenpairs of :math:`S_X` from the ``n x n`` Gram matrix (one process, ``k < n``).

    With :math:`X_c` the centred rows, :math:`S_X = \frac1n X_c^T X_c` and :math:`K = \frac1n X_c X_c^T` share
    their nonzero eigenvalues; :math:`K u = \lambda u` gives the unit eigenvector
    :math:`v = X_c^T u / \sqrt{n \lambda}` of :math:`S_X`. Passes: one to form :math:`K` (by column blocks,
    :math:`2 n^2 d` flops), one for :math:`X_c^T U`, one for :math:`S_X Q` with :math:`Q` the orthonormalised
    :math:`V`, whose Rayleigh-Ritz step gives the returned pairs and their residuals (measured through the
    operator). Memory: :math:`8 n^2` bytes for :math:`K` plus its eigen-solver's workspace.

    Returns
    -------
    As :func:`krylov_eigenpairs` (``method='gram'``).
    """
    if world()[1] > 1:
        raise ValueError("eigensolver='gram' needs every image in one process; under torchrun use 'operator'")
    n, d = A.pixels.shape
    k = check_int(k, "k", 1, min(n - 1, d))
    width = max(1, (1 << 22) // n)
    K = torch.zeros(n, n, dtype=torch.float64, device=A.device)
    for j in range(0, d, width):
        P = torch.from_numpy(np.array(A.pixels[:, j : j + width])).to(A.device)
        Xj = P.to(torch.float64).div_(255.0).sub_(A.mean[j : j + width])
        K.addmm_(Xj, Xj.T)
    K.div_(n)
    A.passes += 1
    q = min(k + max(8, k // 4), n)
    mu, U, _ = matrix_eigenpairs((K + K.T) / 2, q, matrix_method(n, K.device))
    del K
    mu = mu.clamp_min(float(torch.finfo(torch.float64).tiny))
    V = torch.zeros(d, q, dtype=torch.float64, device=A.device)
    row = 0
    for Xc in A.centred_rows():
        V.addmm_(Xc.T, U[row : row + Xc.shape[0]])
        row += Xc.shape[0]
    A.passes += 1
    V /= torch.sqrt(n * mu)
    Q = torch.linalg.qr(V)[0]
    AQ = A.matmul(Q)
    H = Q.T @ AQ
    theta, Y = torch.linalg.eigh((H + H.T) / 2)
    theta, Y = theta.flip(0), Y.flip(1)
    X, AX = Q @ Y, AQ @ Y
    residuals = torch.linalg.vector_norm(AX - X * theta, dim=0)
    lam, V = theta[:k], _fix_signs(X[:, :k])
    signs = torch.sign((V * X[:, :k]).sum(0))
    AX = torch.cat([AX[:, :k] * signs, AX[:, k:]], 1)
    residual = float(residuals[:k].max())
    return lam, V, {"method": "gram", "residual": residual, "relative_residual": relative(residual, float(theta[0])),
                    "residuals": residuals[:k].tolist(), "passes": 3, "columns": q,
                    "_ritz": (torch.cat([V, X[:, k:]], 1), AX)}

