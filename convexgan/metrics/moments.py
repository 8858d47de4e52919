r"""Moment errors of generated samples against a target (:ref:`theory-metrics`).

With a centre :math:`c` (0 by default; the per-pixel data mean for the progressive stages of :ref:`theory-progressive`),
:math:`\mu = \frac1n \sum_i x_i`, :math:`S = \frac1n \sum_i (x_i - c)(x_i - c)^T`, and likewise for the generated
samples, the errors are

.. math::
    \|\mu_G - \mu_X\|_2, \qquad \frac{\|S_G - S_X\|_F}{\|S_X\|_F}, \qquad \frac{\|S_X - S_G\|_2}{\beta},

the last being the value of the quadratic critic's constraint (C): at most 1 when the constraint holds.
When ``n + m >= d`` the spectral norm is :func:`convexgan.duality.critic_gap` (the package's definition of (C)) on
the centred samples. When ``n + m < d`` no ``d x d`` matrix is formed: with centred samples :math:`A` (target) and
:math:`B` (generated), :math:`C = [A; B]` and the reduced QR factorisation :math:`C^T = Q R`, the non-zero
eigenvalues of :math:`S_X - S_G = C^T W C`, :math:`W = \operatorname{diag}(1/n, \dots, -1/m, \dots)`, are those of
the small matrix :math:`R W R^T` (cost :math:`O(d (n + m)^2)` instead of :math:`O(d^3)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._validation import as_samples, check_positive
from convexgan.duality import critic_gap


@dataclass(frozen=True)
class MomentErrors:
    """Moment errors of generated samples ``G`` against targets ``X``.

    Attributes
    ----------
    mean_error : float
        :math:`\\|\\mu_G - \\mu_X\\|_2`.
    second_moment_error : float
        :math:`\\|S_G - S_X\\|_F / \\|S_X\\|_F`.
    spectral_gap : float
        :math:`\\|S_X - S_G\\|_2`, the left side of the quadratic critic's constraint (C).
    beta : float or None
        The critic regularisation the constraint is measured against.
    constraint_value : float or None
        ``spectral_gap / beta`` (``None`` without ``beta``); at most 1 when (C) holds.
    n_target, n_generated, dim : int
        Sample counts and dimension.
    """

    mean_error: float
    second_moment_error: float
    spectral_gap: float
    beta: float | None
    constraint_value: float | None
    n_target: int
    n_generated: int
    dim: int


def moment_errors(G: ArrayLike, X: ArrayLike, *, beta: float | None = None,
                  center: ArrayLike | None = None) -> MomentErrors:
    r"""Mean error, relative Frobenius error of second moments and constraint value of (C), in float64.

    .. math::
        \|\mu_G - \mu_X\|_2, \qquad \|S_G - S_X\|_F / \|S_X\|_F, \qquad \|S_X - S_G\|_2 / \beta,
        \qquad S_X = \tfrac1n (X - 1 c^T)^T (X - 1 c^T) .

    Parameters
    ----------
    G : array-like (m, d)
        Generated samples.
    X : array-like (n, d)
        Target samples.
    beta : float > 0, optional
        Critic regularisation in mean units (:ref:`theory-notation`); gives ``constraint_value``.
    center : array-like (d,), optional
        Vector subtracted from both sets before the second moments (default 0, :ref:`theory-notation`; pass the data
        mean to measure the centred stages of :ref:`theory-progressive`).

    Returns
    -------
    MomentErrors

    Examples
    --------
    >>> import numpy as np
    >>> from convexgan.duality import solve
    >>> X = np.random.default_rng(0).standard_normal((300, 3)) * [2.0, 1.0, 0.5]
    >>> G = solve(X - X.mean(0), "quadratic", beta=0.5).G + X.mean(0)
    >>> errors = moment_errors(G, X, beta=0.5)
    >>> bool(abs(errors.constraint_value - 1.0) < 1e-9)
    True
    """
    G = as_samples(G, "G")
    X = as_samples(X, "X")
    if G.shape[1] != X.shape[1]:
        raise ValueError(f"G and X must have the same number of columns; got G {G.shape} and X {X.shape}")
    d = X.shape[1]
    if center is not None:
        center = np.asarray(center, dtype=np.float64)
        if center.shape != (d,) or not np.all(np.isfinite(center)):
            raise ValueError(f"center must be a finite vector of length {d}; got shape {center.shape}")
        A, B = X - center, G - center
    else:
        A, B = X, G
    if beta is not None:
        beta = check_positive(beta, "beta")
    n, m = A.shape[0], B.shape[0]
    if n + m >= d:
        frobenius = np.linalg.norm(A.T @ A / n - B.T @ B / m)
        spectral_gap = critic_gap(A, B, "quadratic")
    else:
        lam = small_second_moment_difference_eigenvalues(A, B)
        frobenius, spectral_gap = np.linalg.norm(lam), float(np.abs(lam).max())
    norm_target = np.linalg.norm(A @ A.T if n < d else A.T @ A) / n
    return MomentErrors(
        mean_error=float(np.linalg.norm(G.mean(axis=0) - X.mean(axis=0))),
        second_moment_error=float(frobenius / norm_target) if norm_target > 0 else float("inf"),
        spectral_gap=spectral_gap,
        beta=beta,
        constraint_value=None if beta is None else spectral_gap / beta,
        n_target=X.shape[0],
        n_generated=G.shape[0],
        dim=d,
    )


def small_second_moment_difference_eigenvalues(A: NDArray[np.float64], B: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Non-zero eigenvalues of :math:`A^T A / n - B^T B / m` through an ``(n + m) x (n + m)`` matrix (float64).

    .. math::  [A; B]^T = Q R, \qquad \lambda(A^T A / n - B^T B / m) \setminus \{0\}
               = \lambda\big(R \operatorname{diag}(1/n, \dots, -1/m, \dots) R^T\big) \setminus \{0\} .

    Parameters
    ----------
    A : ndarray (n, d)
    B : ndarray (m, d)
        Meant for ``n + m < d`` (cost :math:`O(d (n + m)^2)`).

    Returns
    -------
    lam : ndarray (n + m,), ascending
    """
    n, m = A.shape[0], B.shape[0]
    # numpy's stubs give every mode the QRResult type; mode="r" returns the matrix R alone
    R = cast("NDArray[np.float64]", np.linalg.qr(np.vstack([A, B]).T, mode="r"))
    w = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
    M = (R * w) @ R.T
    return np.linalg.eigvalsh((M + M.T) / 2)
