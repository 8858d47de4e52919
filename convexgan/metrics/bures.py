r"""Bures-Wasserstein distance: the 2-Wasserstein distance between two Gaussians, in closed form and float64.

.. math::
    W_2^2\big(\mathcal N(m_a, C_a), \mathcal N(m_b, C_b)\big) = \|m_a - m_b\|_2^2 + \operatorname{tr} C_a
        + \operatorname{tr} C_b - 2 \operatorname{tr}\big(C_a^{1/2} C_b C_a^{1/2}\big)^{1/2} .

The fidelity term :math:`\operatorname{tr}(C_a^{1/2} C_b C_a^{1/2})^{1/2}` is computed from symmetric eigen-
decompositions (``eigh``), so no complex square root (and no spurious imaginary part) ever appears. For
Gaussian fits of samples with fewer samples than dimensions it is the nuclear norm of an ``n x m`` matrix:
with centred samples :math:`A` (``n x d``) and :math:`B` (``m x d``), :math:`C_a = A^T A / (n - 1)`,
:math:`C_b = B^T B / (m - 1)` and the non-zero eigenvalues of :math:`C_a C_b` are the squared singular values of
:math:`A B^T / \sqrt{(n - 1)(m - 1)}`, so no ``d x d`` matrix is formed.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._validation import as_samples
from convexgan.exceptions import RoundingWarning
from convexgan.metrics._sample_size import warn_if_few_samples

_EPS = np.finfo(np.float64).eps


def psd_tolerance(*arrays: ArrayLike) -> float:
    r"""Relative tolerance for negative eigenvalues of matrices that are PSD up to the rounding of their dtype.

    :math:`\max(\sqrt{\epsilon_{64}}, 1000\, \epsilon)` with :math:`\epsilon` the machine epsilon of the
    widest-epsilon floating dtype among ``arrays`` (float64 inputs: :math:`1.5 \cdot 10^{-8}`; float32 inputs:
    :math:`1.2 \cdot 10^{-4}`, the size of the negative eigenvalues a covariance computed in float32 has).
    """
    eps = max(
        (np.finfo(np.asarray(a).dtype).eps for a in arrays if np.issubdtype(np.asarray(a).dtype, np.floating)),
        default=_EPS,
    )
    return max(np.sqrt(_EPS), 1e3 * float(eps))


def psd_sqrt(C: ArrayLike, name: str = "C") -> NDArray[np.float64]:
    r"""Symmetric square root :math:`C^{1/2} = V \operatorname{diag}(\sqrt{\lambda_+}) V^T` of a PSD matrix.

    Eigenvalues that are negative by rounding (above :math:`-\tau \lambda_{\max}`, :math:`\tau` from
    :func:`psd_tolerance` for ``C``'s dtype) are set to 0, with a :class:`convexgan.exceptions.RoundingWarning`
    when they exceed float64 rounding.

    Parameters
    ----------
    C : array-like (d, d)
        Symmetric positive semidefinite matrix.
    name : str
        The argument's name, used in error messages.

    Returns
    -------
    root : ndarray (d, d), float64
    """
    tol = psd_tolerance(C)
    C = _as_covariance(C, name)
    lam, V = np.linalg.eigh(C)
    return (V * np.sqrt(_clip_rounding(lam, name, tol))) @ V.T


def bures_fidelity(cov_a: ArrayLike, cov_b: ArrayLike) -> float:
    r"""The fidelity term :math:`\operatorname{tr}\big(C_a^{1/2} C_b C_a^{1/2}\big)^{1/2}` (float64).

    Parameters
    ----------
    cov_a, cov_b : array-like (d, d)
        Symmetric positive semidefinite matrices (up to the rounding of their dtype, :func:`psd_tolerance`).

    Returns
    -------
    fidelity : float
    """
    tol = psd_tolerance(cov_a, cov_b)
    root = psd_sqrt(cov_a, "cov_a")
    tol_b = psd_tolerance(cov_b)
    cov_b = _as_covariance(cov_b, "cov_b")
    if cov_b.shape != root.shape:
        raise ValueError(f"cov_b must have the shape of cov_a, {root.shape}; got {cov_b.shape}")
    _clip_rounding(np.linalg.eigvalsh(cov_b), "cov_b", tol_b)
    M = root @ cov_b @ root
    lam = np.linalg.eigvalsh((M + M.T) / 2)
    return float(np.sum(np.sqrt(_clip_rounding(lam, "cov_a^(1/2) cov_b cov_a^(1/2)", tol))))


def bures_wasserstein(mean_a: ArrayLike, cov_a: ArrayLike, mean_b: ArrayLike, cov_b: ArrayLike, *,
                      squared: bool = False) -> float:
    r"""2-Wasserstein distance between :math:`\mathcal N(m_a, C_a)` and :math:`\mathcal N(m_b, C_b)`.

    .. math::
        W_2^2 = \|m_a - m_b\|_2^2 + \operatorname{tr} C_a + \operatorname{tr} C_b
                - 2 \operatorname{tr}\big(C_a^{1/2} C_b C_a^{1/2}\big)^{1/2} .

    Parameters
    ----------
    mean_a, mean_b : array-like (d,)
        Means.
    cov_a, cov_b : array-like (d, d)
        Covariances (symmetric positive semidefinite up to the rounding of their dtype, :func:`psd_tolerance`).
    squared : bool
        Return :math:`W_2^2` instead of :math:`W_2`.

    Returns
    -------
    distance : float
        Computed in float64; a squared distance that is negative by rounding is returned as 0.

    References
    ----------
    .. [1] R. Bhatia, T. Jain and Y. Lim, "On the Bures-Wasserstein distance between positive definite matrices",
           Expositiones Mathematicae 37(2), 2019.

    Examples
    --------
    >>> import numpy as np
    >>> C = np.diag([4.0, 1.0])
    >>> round(bures_wasserstein(np.zeros(2), C, np.zeros(2), np.eye(2), squared=True), 10)  # (2-1)^2 + (1-1)^2
    1.0
    """
    mean_a = _as_mean(mean_a, "mean_a")
    mean_b = _as_mean(mean_b, "mean_b")
    fidelity = bures_fidelity(cov_a, cov_b)
    cov_a = _as_covariance(cov_a, "cov_a")
    for name, mean in (("mean_a", mean_a), ("mean_b", mean_b)):
        if mean.shape[0] != cov_a.shape[0]:
            raise ValueError(f"{name} must have length {cov_a.shape[0]} (the size of cov_a); got {mean.shape[0]}")
    cov_b = _as_covariance(cov_b, "cov_b")
    w2 = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a) + np.trace(cov_b) - 2 * fidelity
    return _finish(w2, squared)


def gaussian_fit(X: ArrayLike, name: str = "X") -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Mean and unbiased covariance of samples: :math:`m = X^T 1 / n`, :math:`C = (X - 1 m^T)^T (X - 1 m^T) / (n - 1)`.

    Parameters
    ----------
    X : array-like (n, d), n >= 2

    Returns
    -------
    mean : ndarray (d,), float64
    cov : ndarray (d, d), float64

    Examples
    --------
    >>> import numpy as np
    >>> mean, cov = gaussian_fit(np.array([[0.0, 0.0], [2.0, 2.0]]))
    >>> mean.tolist(), cov.tolist()
    ([1.0, 1.0], [[2.0, 2.0], [2.0, 2.0]])
    """
    X = as_samples(X, name, min_rows=2)
    mean = X.mean(axis=0)
    A = X - mean
    return mean, A.T @ A / (X.shape[0] - 1)


def bures_wasserstein_samples(X: ArrayLike, Y: ArrayLike, *, squared: bool = False,
                              names: Sequence[str] = ("X", "Y")) -> float:
    r"""Bures-Wasserstein distance between the Gaussian fits (mean, unbiased covariance) of two sample sets.

    .. math::
        W_2^2 = \|m_X - m_Y\|_2^2 + \frac{\|A\|_F^2}{n - 1} + \frac{\|B\|_F^2}{m - 1}
                - \frac{2 \|A B^T\|_*}{\sqrt{(n - 1)(m - 1)}},
        \qquad A = X - 1 m_X^T,\ B = Y - 1 m_Y^T .

    The nuclear-norm form is used when ``min(n, m) < d`` (cost ``n m d``); otherwise the ``d x d`` covariances
    and :func:`bures_fidelity`. Both are exact in float64.

    Parameters
    ----------
    X : array-like (n, d), n >= 2
    Y : array-like (m, d), m >= 2
    squared : bool
        Return :math:`W_2^2` (for image features this is the FID).
    names : (str, str)
        The arguments' names, used in messages.

    Returns
    -------
    distance : float

    Warns
    -----
    SampleSizeWarning
        When ``n < d`` or ``m < d``: the fit is rank-deficient and the distance biased.
    """
    X = as_samples(X, names[0], min_rows=2)
    Y = as_samples(Y, names[1], min_rows=2)
    if X.shape[1] != Y.shape[1]:
        raise ValueError(f"{names[0]} and {names[1]} must have the same number of columns; got {X.shape} and {Y.shape}")
    (n, d), m = X.shape, Y.shape[0]
    warn_if_few_samples(n, d, names[0])
    warn_if_few_samples(m, d, names[1])
    mean_x, mean_y = X.mean(axis=0), Y.mean(axis=0)
    A, B = X - mean_x, Y - mean_y
    if min(n, m) >= d:
        return bures_wasserstein(mean_x, A.T @ A / (n - 1), mean_y, B.T @ B / (m - 1), squared=squared)
    fidelity = np.linalg.svd(A @ B.T, compute_uv=False).sum() / np.sqrt((n - 1) * (m - 1))
    w2 = np.sum((mean_x - mean_y) ** 2) + np.sum(A**2) / (n - 1) + np.sum(B**2) / (m - 1) - 2 * fidelity
    return _finish(w2, squared)


def _finish(w2: float, squared: bool) -> float:
    w2 = max(float(w2), 0.0)
    return w2 if squared else float(np.sqrt(w2))


def _as_mean(mean: ArrayLike, name: str) -> NDArray[np.float64]:
    values = np.asarray(mean, dtype=np.float64)
    if values.ndim != 1 or not np.all(np.isfinite(values)):
        raise ValueError(f"{name} must be a finite 1-D array; got shape {values.shape}")
    return values


def _as_covariance(C: ArrayLike, name: str) -> NDArray[np.float64]:
    S = as_samples(C, name)
    if S.shape[0] != S.shape[1]:
        raise ValueError(f"{name} must be a square matrix; got shape {S.shape}")
    scale = max(np.abs(S).max(), np.finfo(np.float64).tiny)
    if np.abs(S - S.T).max() > np.sqrt(_EPS) * scale:
        raise ValueError(f"{name} must be symmetric; max |{name} - {name}^T| = {np.abs(S - S.T).max():.3g}")
    symmetric: NDArray[np.float64] = (S + S.T) / 2
    return symmetric


def _clip_rounding(lam: NDArray[np.floating[Any]], name: str, tol: float) -> NDArray[np.floating[Any]]:
    r"""Eigenvalues ``lam`` with those in ``[-tol * max|lam|, 0)`` set to 0; refuse more negative ones.

    Warns (:class:`convexgan.exceptions.RoundingWarning`) when a clipped eigenvalue is below float64's own
    rounding, :math:`-\sqrt{\epsilon_{64}} \max|\lambda|`.
    """
    top = max(np.abs(lam).max(initial=0.0), np.finfo(np.float64).tiny)
    low = lam.min(initial=0.0)
    if low < -tol * top:
        raise ValueError(
            f"{name} must be positive semidefinite; its smallest eigenvalue is {low:.3g} "
            f"(largest {top:.3g}, tolerance {tol:.1e} x largest for its dtype)"
        )
    if low < -np.sqrt(_EPS) * top:
        warnings.warn(
            f"{name} has a negative eigenvalue {low:.3g} (ratio {low / top:.1e} to the largest), beyond float64 "
            f"rounding but within its dtype's (tolerance {tol:.1e}); negative eigenvalues were set to 0",
            RoundingWarning,
            stacklevel=4,
        )
    return np.maximum(lam, 0.0)
