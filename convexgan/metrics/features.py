"""Running a caller-supplied feature extractor over images, and the record of how a feature distance was made.

An extractor is any callable mapping a batch of images ``(b, H, W, C)`` in [0, 1] to features ``(b, D)`` (numpy
array or torch tensor). It may declare ``name``, ``resizer`` and ``input_dtype`` attributes; they are copied
into every result so that numbers made with different networks, resizers or quantisation are never confused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from convexgan._validation import check_int

_UNDECLARED = "undeclared by the extractor"

Extractor = Callable[[NDArray[Any]], Any]
"""A feature extractor: images ``(b, H, W, C)`` in [0, 1] to features ``(b, D)`` (an array or a tensor)."""


@dataclass(frozen=True)
class FeatureDistance:
    """A distance between two image sets measured on extracted features.

    Attributes
    ----------
    metric : str
        ``"FID"`` or ``"KID"``.
    value : float
        FID, or the mean of KID over subsets.
    std : float or None
        Standard deviation of KID over subsets (``None`` for FID, and for KID when every subset is the whole set).
    extractor, resizer, input_dtype : str
        How the features were made (as declared by the extractor).
    dtype : str
        Precision of the statistics (always ``"float64"``).
    n_a, n_b : int
        Number of images in each set.
    feature_dim : int
        D.
    n_subsets, subset_size : int or None
        KID's subsets (``None`` for FID).
    """

    metric: str
    value: float
    std: float | None
    extractor: str
    resizer: str
    input_dtype: str
    dtype: str
    n_a: int
    n_b: int
    feature_dim: int
    n_subsets: int | None = None
    subset_size: int | None = None

    @classmethod
    def record(cls, metric: str, value: float, features_a: NDArray[np.float64], features_b: NDArray[np.float64],
               extractor: Extractor, *, std: float | None = None, n_subsets: int | None = None,
               subset_size: int | None = None) -> FeatureDistance:
        """The result of ``metric`` on features ``(n_a, D)`` and ``(n_b, D)`` made by ``extractor``."""
        name, resizer, input_dtype = describe_extractor(extractor)
        return cls(
            metric=metric, value=value, std=std, extractor=name, resizer=resizer, input_dtype=input_dtype,
            dtype="float64", n_a=features_a.shape[0], n_b=features_b.shape[0], feature_dim=features_a.shape[1],
            n_subsets=n_subsets, subset_size=subset_size,
        )


def describe_extractor(extractor: Extractor) -> tuple[str, str, str]:
    """Return ``(name, resizer, input_dtype)`` declared by an extractor, with readable defaults."""
    name = getattr(extractor, "name", None) or getattr(extractor, "__qualname__", None) or type(extractor).__name__
    return (
        str(name),
        str(getattr(extractor, "resizer", _UNDECLARED)),
        str(getattr(extractor, "input_dtype", _UNDECLARED)),
    )


def extract_features(images: ArrayLike, extractor: Extractor, *, batch_size: int = 100, name: str = "images",
                     progress: bool = True) -> NDArray[np.float64]:
    """Features of a set of images, computed batch by batch.

    Parameters
    ----------
    images : array-like (n, H, W, C)
        Images in [0, 1].
    extractor : callable
        Maps ``(b, H, W, C)`` to ``(b, D)``.
    batch_size : int
    name : str
        The argument's name, used in messages and the progress bar.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    features : ndarray (n, D), float64
    """
    if not callable(extractor):
        raise TypeError(f"extractor must be a callable from images (b, H, W, C) to features (b, D); got {extractor!r}")
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[0] < 1:
        raise ValueError(f"{name} must be a non-empty 4-D array (n, H, W, C); got shape {images.shape}")
    batch_size = check_int(batch_size, "batch_size", 1, 10**9)
    chunks: list[NDArray[np.float64]] = []
    for start in tqdm(range(0, images.shape[0], batch_size), desc=f"features of {name}", disable=not progress):
        batch = images[start : start + batch_size]
        got = extractor(batch)
        out = got.detach().cpu().numpy() if hasattr(got, "detach") else np.asarray(got)
        out = out.reshape(out.shape[0], -1) if out.ndim > 1 else out
        if out.ndim != 2 or out.shape[0] != batch.shape[0]:
            raise ValueError(
                f"extractor returned shape {out.shape} for a batch of {batch.shape[0]} images; expected "
                f"({batch.shape[0]}, D)"
            )
        chunks.append(out.astype(np.float64))
    features = np.concatenate(chunks)
    if not np.all(np.isfinite(features)):
        raise ValueError(f"extractor returned NaN or infinite features for {name}")
    return features
