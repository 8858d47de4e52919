r"""Kernel distance (KID when the features are Inception pool3 activations): unbiased MMD² averaged over subsets.

With the polynomial kernel :math:`k(x, y) = (x^T y / D + 1)^3` and subsets :math:`x_1..x_s`, :math:`y_1..y_s`
drawn without replacement,

.. math::
    \widehat{\mathrm{MMD}}^2_u = \frac{1}{s(s-1)} \sum_{i \ne j} \big(k(x_i, x_j) + k(y_i, y_j)\big)
        - \frac{2}{s^2} \sum_{i, j} k(x_i, y_j),

an unbiased estimate of the squared MMD (its mean is 0 when both sets come from one distribution, and it can be
negative). KID is its mean over subsets, reported with the standard deviation over subsets. When ``subset_size``
is at least both set sizes every subset is the whole set (the estimate does not depend on the order), so there is
no spread to report: the estimate is computed once, the standard deviation is None and a
:class:`convexgan.exceptions.SampleSizeWarning` says so.

Reference: M. Bińkowski, D. J. Sutherland, M. Arbel, A. Gretton, "Demystifying MMD GANs", ICLR 2018.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._validation import as_samples, check_int
from convexgan.exceptions import SampleSizeWarning
from convexgan.metrics.features import Extractor, FeatureDistance, extract_features


def polynomial_kernel(X: NDArray[np.float64], Y: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Gram matrix of :math:`k(x, y) = (x^T y / D + 1)^3` for ``X (n, D)``, ``Y (m, D)``; returns ``(n, m)``."""
    return (X @ Y.T / X.shape[1] + 1.0) ** 3


def unbiased_mmd2(X: NDArray[np.float64], Y: NDArray[np.float64]) -> float:
    r"""Unbiased :math:`\widehat{\mathrm{MMD}}^2_u` with the polynomial kernel, for equal-size sets ``(s, D)``."""
    s = X.shape[0]
    k_xx, k_yy = polynomial_kernel(X, X), polynomial_kernel(Y, Y)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (s * (s - 1))
    return float(within - 2.0 * polynomial_kernel(X, Y).mean())


def kernel_distance(features_a: ArrayLike, features_b: ArrayLike, *, n_subsets: int = 100, subset_size: int = 1000,
                    seed: int | np.random.Generator | None = 0) -> tuple[float, float | None, int]:
    r"""KID of two feature sets: mean and standard deviation of :math:`\widehat{\mathrm{MMD}}^2_u` over subsets.

    Parameters
    ----------
    features_a : array-like (n_a, D)
    features_b : array-like (n_b, D)
    n_subsets : int
    subset_size : int
        Capped at ``min(n_a, n_b)``; at least 2.
    seed : int or numpy.random.Generator
        Draws the subsets.

    Returns
    -------
    mean : float
    std : float or None
        None when every subset is the whole of both sets (then with a ``SampleSizeWarning``).
    subset_size : int
        The size used (after capping).

    References
    ----------
    .. [1] M. Binkowski, D. J. Sutherland, M. Arbel and A. Gretton, "Demystifying MMD GANs", ICLR 2018.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.standard_normal((200, 8)), rng.standard_normal((200, 8))
    >>> same = kernel_distance(a, b, n_subsets=10, subset_size=100)[0]
    >>> shifted = kernel_distance(a, b + 1.0, n_subsets=10, subset_size=100)[0]
    >>> bool(abs(same) < 0.05 < shifted)
    True
    """
    A = as_samples(features_a, "features_a", min_rows=2)
    B = as_samples(features_b, "features_b", min_rows=2)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"features_a and features_b must have the same number of columns; got {A.shape} and {B.shape}")
    n_subsets = check_int(n_subsets, "n_subsets", 1, 10**6)
    subset_size = min(check_int(subset_size, "subset_size", 2, 10**9), A.shape[0], B.shape[0])
    rng = np.random.default_rng(seed)
    if subset_size == A.shape[0] == B.shape[0]:
        warnings.warn(
            f"subset_size={subset_size} covers both sets ({A.shape[0]} and {B.shape[0]} rows): every subset is the "
            f"whole set, so KID is computed once and has no spread over subsets (std=None); use more samples than "
            f"subset_size for a spread",
            SampleSizeWarning,
            stacklevel=2,
        )
        return unbiased_mmd2(A, B), None, subset_size
    values = [
        unbiased_mmd2(
            A[rng.choice(A.shape[0], subset_size, replace=False)],
            B[rng.choice(B.shape[0], subset_size, replace=False)],
        )
        for _ in range(n_subsets)
    ]
    return float(np.mean(values)), float(np.std(values)), subset_size


def kid(images_a: ArrayLike, images_b: ArrayLike, extractor: Extractor, *, n_subsets: int = 100,
        subset_size: int = 1000, seed: int | np.random.Generator | None = 0, batch_size: int = 100,
        progress: bool = True) -> FeatureDistance:
    r"""Kernel distance between two image sets on the features of a caller-supplied extractor.

    Parameters
    ----------
    images_a : array-like (n_a, H, W, C)
        Images in [0, 1].
    images_b : array-like (n_b, H', W', C)
        Images in [0, 1].
    extractor : callable
        Maps a batch ``(b, H, W, C)`` to features ``(b, D)``.
    n_subsets, subset_size, seed
        As in :func:`kernel_distance`.
    batch_size : int
    progress : bool

    Returns
    -------
    FeatureDistance
        Mean and standard deviation over subsets, with the extractor's record and the subset sizes.
    """
    fa = extract_features(images_a, extractor, batch_size=batch_size, name="images_a", progress=progress)
    fb = extract_features(images_b, extractor, batch_size=batch_size, name="images_b", progress=progress)
    return kid_from_features(fa, fb, extractor, n_subsets=n_subsets, subset_size=subset_size, seed=seed)


def kid_from_features(features_a: ArrayLike, features_b: ArrayLike, extractor: Extractor, *, n_subsets: int = 100,
                      subset_size: int = 1000, seed: int | np.random.Generator | None = 0) -> FeatureDistance:
    """:func:`kid` on features already extracted by ``extractor`` (used for its record only)."""
    features_a = as_samples(features_a, "features_a", min_rows=2)
    features_b = as_samples(features_b, "features_b", min_rows=2)
    mean, std, size = kernel_distance(features_a, features_b, n_subsets=n_subsets, subset_size=subset_size, seed=seed)
    return FeatureDistance.record("KID", mean, features_a, features_b, extractor, std=std, n_subsets=n_subsets,
                                  subset_size=size)
