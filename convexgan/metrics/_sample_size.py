"""The warning raised when a metric is estimated from fewer samples than the dimension it lives in."""

import warnings

from convexgan.exceptions import SampleSizeWarning


def warn_if_few_samples(n: int, dim: int, name: str) -> None:
    """Warn with :class:`SampleSizeWarning` when ``n < dim``.

    Parameters
    ----------
    n : int
        Number of samples of the set called ``name``.
    dim : int
        Dimension of the vectors (pixels or features).
    name : str
        The argument's name, used in the message.
    """
    if n < dim:
        warnings.warn(
            f"{name} has {n} samples in dimension {dim}: its covariance has rank at most {n - 1} < {dim}, so "
            f"Gaussian-fit metrics (FID, Bures-W2) are biased upwards; use at least {dim} samples to compare "
            f"with published numbers",
            SampleSizeWarning,
            stacklevel=3,
        )
