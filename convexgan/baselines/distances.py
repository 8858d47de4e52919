r"""Distances between a generator's second moment and the exact optimum (THEORY section 8).

Computed in float64 numpy from ``d x d`` moments. (``convexgan.metrics`` was not yet in the repository when the
baselines were written, so the Bures-Wasserstein distance is computed here.)
"""

import numpy as np


def relative_error(S, S_star):
    r"""Relative second-moment error :math:`\|S - S^*\|_F / \|S^*\|_F` (absolute error when :math:`S^* = 0`)."""
    S, S_star = np.asarray(S, dtype=np.float64), np.asarray(S_star, dtype=np.float64)
    scale = np.linalg.norm(S_star)
    return float(np.linalg.norm(S - S_star) / (scale if scale > 0 else 1.0))


def psd_sqrt(S):
    r"""Square root of a symmetric PSD matrix, negative rounding eigenvalues clipped to 0."""
    lam, V = np.linalg.eigh((S + S.T) / 2)
    return (V * np.sqrt(np.maximum(lam, 0.0))) @ V.T


def bures_wasserstein(A, B):
    r"""Bures-Wasserstein distance between the centred Gaussians :math:`N(0, A)` and :math:`N(0, B)`.

    .. math::  W_2(A, B)^2 = \operatorname{tr} A + \operatorname{tr} B
               - 2 \operatorname{tr} \big(A^{1/2} B A^{1/2}\big)^{1/2}

    Parameters
    ----------
    A, B : array (d, d)
        Symmetric PSD matrices.
    """
    A, B = np.asarray(A, dtype=np.float64), np.asarray(B, dtype=np.float64)
    root = psd_sqrt(A)
    cross = np.trace(psd_sqrt(root @ B @ root))
    return float(np.sqrt(max(np.trace(A) + np.trace(B) - 2.0 * cross, 0.0)))


def spectral_norm(S):
    r"""Spectral norm :math:`\|S\|_2` of a symmetric matrix (largest absolute eigenvalue)."""
    return float(np.max(np.abs(np.linalg.eigvalsh((S + S.T) / 2))))
