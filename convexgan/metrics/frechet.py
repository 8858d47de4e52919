r"""Fréchet distance between Gaussian fits of features (FID when the features are Inception pool3 activations).

.. math::
    \mathrm{FID} = \|m_a - m_b\|_2^2 + \operatorname{tr}\big(C_a + C_b - 2 (C_a^{1/2} C_b C_a^{1/2})^{1/2}\big),

the squared Bures-Wasserstein distance between :math:`\mathcal N(m_a, C_a)` and :math:`\mathcal N(m_b, C_b)`,
with means and unbiased covariances of the features, computed in float64 by :mod:`convexgan.metrics.bures`
(symmetric eigen-decompositions, so no complex matrix square root). With fewer images than feature dimensions
the covariances are singular and the value biased upwards; a :class:`SampleSizeWarning` says so.

Reference: M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler, S. Hochreiter, "GANs Trained by a Two Time-Scale
Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017.
"""

from __future__ import annotations

from numpy.typing import ArrayLike

from convexgan._validation import as_samples
from convexgan.metrics.bures import bures_wasserstein_samples
from convexgan.metrics.features import Extractor, FeatureDistance, extract_features


def frechet_distance(features_a: ArrayLike, features_b: ArrayLike) -> float:
    r"""Fréchet distance between the Gaussian fits of two feature sets (float64).

    Parameters
    ----------
    features_a : array-like (n_a, D), n_a >= 2
    features_b : array-like (n_b, D), n_b >= 2

    Returns
    -------
    distance : float
        :math:`\|m_a - m_b\|^2 + \operatorname{tr}(C_a + C_b - 2 (C_a^{1/2} C_b C_a^{1/2})^{1/2})`.

    Warns
    -----
    SampleSizeWarning
        When ``n_a < D`` or ``n_b < D``.

    References
    ----------
    .. [1] M. Heusel, H. Ramsauer, T. Unterthiner, B. Nessler and S. Hochreiter, "GANs Trained by a Two Time-Scale
           Update Rule Converge to a Local Nash Equilibrium", NeurIPS 2017.
    .. [2] D. C. Dowson and B. V. Landau, "The Frechet distance between multivariate normal distributions", Journal
           of Multivariate Analysis 12(3), 1982.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal((500, 3))
    >>> round(frechet_distance(a, a), 10)
    0.0
    >>> round(frechet_distance(a, a + [1.0, 0.0, 0.0]), 10)  # a shift by t adds ||t||^2
    1.0
    """
    return bures_wasserstein_samples(features_a, features_b, squared=True, names=("features_a", "features_b"))


def fid(images_a: ArrayLike, images_b: ArrayLike, extractor: Extractor, *, batch_size: int = 100,
        progress: bool = True) -> FeatureDistance:
    r"""Fréchet distance between two image sets on the features of a caller-supplied extractor.

    Parameters
    ----------
    images_a : array-like (n_a, H, W, C)
        Images in [0, 1] (e.g. real).
    images_b : array-like (n_b, H', W', C)
        Images in [0, 1] (e.g. generated).
    extractor : callable
        Maps a batch ``(b, H, W, C)`` to features ``(b, D)``; see :mod:`convexgan.metrics.extractors` for a loader
        of a local TorchScript file.
    batch_size : int
    progress : bool

    Returns
    -------
    FeatureDistance
        The value with the extractor's name, resizer and input dtype, the sample counts and D.
    """
    fa = extract_features(images_a, extractor, batch_size=batch_size, name="images_a", progress=progress)
    fb = extract_features(images_b, extractor, batch_size=batch_size, name="images_b", progress=progress)
    return fid_from_features(fa, fb, extractor)


def fid_from_features(features_a: ArrayLike, features_b: ArrayLike, extractor: Extractor) -> FeatureDistance:
    """:func:`fid` on features already extracted by ``extractor`` (used for its record only)."""
    A = as_samples(features_a, "features_a", min_rows=2)
    B = as_samples(features_b, "features_b", min_rows=2)
    return FeatureDistance.record("FID", frechet_distance(A, B), A, B, extractor)
