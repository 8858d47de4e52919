r"""Moment distances between a generator's second moment and the exact optimum (:ref:`theory-metrics`).

Computed in float64 numpy from ``d x d`` moments; the Bures-Wasserstein distance is
:func:`convexgan.metrics.bures.bures_wasserstein`.
"""

import numpy as np
from numpy.typing import ArrayLike, NDArray


def relative_error(S: ArrayLike, S_star: ArrayLike) -> float:
    r"""Relative second-moment error :math:`\|S - S^*\|_F / \|S^*\|_F` (absolute error when :math:`S^* = 0`)."""
    A, B = np.asarray(S, dtype=np.float64), np.asarray(S_star, dtype=np.float64)
    scale = np.linalg.norm(B)
    return float(np.linalg.norm(A - B) / (scale if scale > 0 else 1.0))


def spectral_norm(S: NDArray[np.float64]) -> float:
    r"""Spectral norm :math:`\|S\|_2` of a symmetric matrix (largest absolute eigenvalue)."""
    return float(np.max(np.abs(np.linalg.eigvalsh((S + S.T) / 2))))
