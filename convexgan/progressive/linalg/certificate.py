r"""The stage certificate :math:`\|S_X - S_G\|_2 / \beta` bounded through the data operator (no ``d x d`` matrix).

With :math:`V` (``d x k``, orthonormal) the kept Ritz vectors, :math:`S_G = V C V^T` the generated moment
(:math:`C = B^T S_{\hat Z} B`, ideally :math:`\operatorname{diag}(\lambda - \beta)`), and

.. math::  M = V^T S_X V, \qquad A = M - C, \qquad E = S_X V - V M \quad (d \times k),

a unit vector :math:`x = V a + w` (:math:`w \perp V`, :math:`|a|^2 + |w|^2 = 1`) gives, since
:math:`V^T S_X w = E^T w`,

.. math::  x^T (S_X - S_G) x = a^T A a + 2 a^T E^T w + w^T S_X w .

With :math:`\mu_\perp \ge \lambda_{\max}(P S_X P)`, :math:`P = I - VV^T`, and :math:`S_X \succeq 0`
(so :math:`0 \le w^T S_X w \le \mu_\perp |w|^2`), both ends of the spectrum of :math:`D = S_X - S_G` are bounded
by ``2 x 2`` problems, and

.. math::  \|D\|_2 \le \max\Big(\lambda_{\max}\begin{bmatrix} \lambda_{\max}(A) & \|E\|_2 \\ \|E\|_2 & \mu_\perp
           \end{bmatrix},\; -\lambda_{\min}\begin{bmatrix} \lambda_{\min}(A) & \|E\|_2 \\ \|E\|_2 & 0
           \end{bmatrix}\Big) .

For an exact stage (:math:`A = \beta I`, :math:`E = 0`, :math:`\mu_\perp = \lambda_{k+1} \le \beta`) this is
:math:`\beta`: the bound is tight up to :math:`O(\|E\|_2)`. :math:`\mu_\perp = \theta + \|r\|_2` from the top
Ritz pair :math:`(\theta, u)` of :math:`P S_X P` (block Krylov on the deflated operator, started from the
eigen-solver's Ritz vectors beyond the kept ones): some eigenvalue lies within :math:`\|r\|_2` of
:math:`\theta`, and it is the largest one unless the start block is orthogonal to the top eigenvector (the
same assumption as every Krylov eigen-solver, ARPACK included). A lower bound on :math:`\|D\|_2` comes from the
Rayleigh quotients :math:`\max(\|A\|_2, \theta)` (for unit :math:`w = Pu / \|Pu\|` orthogonal to
:math:`V`, :math:`w^T D w = w^T S_X w = \theta / \|Pu\|^2 \ge \theta`); their difference from the upper bound is the
certificate's accuracy.
"""

from typing import Any

import torch

from convexgan.choices import RESIDUAL_TOLERANCE
from convexgan.progressive.linalg.krylov import krylov_eigenpairs

DEFLATED_BLOCK = 8


class DeflatedOperator:
    r""":math:`W \mapsto P S_X P W` with :math:`P = I - V V^T` (``V`` orthonormal columns); one pass per product."""

    def __init__(self, A: Any, V: torch.Tensor) -> None:
        self.A, self.V = A, V
        self.shape = A.shape
        self.device = getattr(A, "device", V.device)

    def matmul(self, W: torch.Tensor) -> torch.Tensor:
        """:math:`P S_X P W`."""
        W = W - self.V @ (self.V.T @ W)
        Y = self.A.matmul(W)
        return Y - self.V @ (self.V.T @ Y)


def _extremes_2x2(top_left: float, off: float, bottom_right: float) -> tuple[float, float]:
    H = torch.tensor([[top_left, off], [off, bottom_right]], dtype=torch.float64)
    values = torch.linalg.eigvalsh(H)
    return float(values[0]), float(values[1])


def certificate(A: Any, V: torch.Tensor, C: torch.Tensor, beta: float, *, image: torch.Tensor | None = None,
                start: torch.Tensor | None = None, tol: float = RESIDUAL_TOLERANCE) -> dict[str, Any]:
    r"""Upper bound on :math:`\|S_X - V C V^T\|_2 / \beta` through the operator ``A`` (see the module docstring).

    Parameters
    ----------
    A : DataOperator (or any symmetric PSD operator with ``shape`` and ``matmul``)
    V : torch.Tensor (d, k) float64
        Orthonormal kept Ritz vectors.
    C : torch.Tensor (k, k)
        :math:`S_G` in the basis ``V``.
    beta : float
    image : torch.Tensor (d, k) or None
        :math:`S_X V` when already known (from the eigen-solver); else one pass computes it.
    start : torch.Tensor (d, s) or None
        Start block of the deflated solve (the eigen-solver's next Ritz vectors).
    tol : float
        Relative residual of the deflated top Ritz pair.

    Returns
    -------
    dict
        ``value`` (the upper bound divided by ``beta``, the certificate), ``lower`` (a lower bound on the exact
        value, divided by ``beta``), ``accuracy`` (``value - lower``), ``residual_norm`` (:math:`\|E\|_2`),
        ``mu_perp`` (:math:`\theta + \|r\|`), ``deflated_ritz_value`` (:math:`\theta`), ``deflated_residual``
        (:math:`\|r\|`) and ``passes`` (products with ``A``).
    """
    V = V.to(torch.float64)
    C = C.to(device=V.device, dtype=torch.float64)
    d, k = V.shape
    passes = 0
    if image is None:
        image, passes = A.matmul(V), 1
    M = V.T @ image
    M = (M + M.T) / 2
    D_kept = M - (C + C.T) / 2
    a = torch.linalg.eigvalsh(D_kept)
    a_min, a_max = float(a[0]), float(a[-1])
    norm_E = float(torch.linalg.matrix_norm(image - V @ M, 2))
    theta = residual_perp = 0.0
    if d > k:
        block = min(DEFLATED_BLOCK, d - k)
        seed = None if start is None else start[:, :block].to(device=V.device, dtype=torch.float64)
        lam, _, info = krylov_eigenpairs(DeflatedOperator(A, V), 1, tol=tol, block=block, start=seed)
        theta, residual_perp, passes = max(float(lam[0]), 0.0), info["residual"], passes + info["passes"]
    mu_perp = theta + residual_perp
    top = _extremes_2x2(a_max, norm_E, mu_perp)[1]
    bottom = _extremes_2x2(a_min, norm_E, 0.0)[0]
    upper = max(top, -bottom)
    lower = max(abs(a_min), abs(a_max), theta)
    return {"value": upper / beta, "lower": lower / beta, "accuracy": (upper - lower) / beta,
            "residual_norm": norm_E, "mu_perp": mu_perp, "deflated_ritz_value": theta,
            "deflated_residual": residual_perp, "passes": passes}
