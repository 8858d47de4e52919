"""Input checks shared by the whole package.

Every check raises ``ValueError`` (or ``TypeError`` for a wrong type) with a message that names the argument,
the value received and what was expected.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

T = TypeVar("T")


def as_samples(X: ArrayLike, name: str = "X", *, min_rows: int = 1, dtype: DTypeLike = np.float64) -> NDArray[Any]:
    """Return ``X`` as a finite 2-D float array with samples as rows.

    Parameters
    ----------
    X : array-like (n, d)
        Samples, one per row.
    name : str
        The argument's name, used in error messages.
    min_rows : int
        The least number of rows accepted.
    dtype : numpy dtype
        The dtype of the returned array.

    Returns
    -------
    X : ndarray (n, d)
    """
    try:
        arr = np.asarray(X)
    except ValueError as err:
        raise ValueError(f"{name} must be a rectangular 2-D array of numbers; got a ragged sequence ({err})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must hold real numbers; got complex dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples as rows); got shape {arr.shape}")
    if arr.shape[0] < min_rows or arr.shape[1] < 1:
        raise ValueError(f"{name} must have at least {min_rows} row(s) and 1 column; got shape {arr.shape}")
    arr = arr.astype(dtype, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must be finite; it holds {bad} NaN or infinite entries")
    return arr


def check_positive(value: object, name: str) -> float:
    """Return ``value`` as a float after checking that it is a finite number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a positive real number; got {value!r}")
    number = float(value)
    if not np.isfinite(number) or number <= 0:
        raise ValueError(f"{name}={number!r} must be a finite number > 0")
    return number


def check_int(value: object, name: str, low: int, high: int) -> int:
    """Return ``value`` after checking that it is an integer with ``low <= value <= high``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{name}={value!r} must be between {low} and {high}")
    return number


def check_choice(value: T, name: str, choices: Collection[T]) -> T:
    """Return ``value`` after checking that it is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}={value!r} must be one of {', '.join(repr(c) for c in choices)}")
    return value


def check_device(value: object, name: str = "device") -> str:
    """Return ``value`` after checking that it names a device: ``'auto'``, ``'cpu'``, ``'cuda'`` or ``'cuda:N'``.

    Only the spelling is checked here (no torch import); :func:`convexgan.progressive.runtime.device.resolve_device`
    checks that the GPU exists.
    """
    text = str(value) if type(value).__name__ == "device" else value
    if not isinstance(text, str):
        raise TypeError(f"{name} must be a string such as 'cpu', 'cuda' or 'cuda:1'; got {value!r}")
    kind, _, index = text.partition(":")
    if kind not in ("auto", "cpu", "cuda") or (_ and (kind != "cuda" or not index.isdigit())):
        raise ValueError(f"{name}={value!r} must be one of 'auto', 'cpu', 'cuda' or 'cuda:N' (N a GPU index >= 0)")
    return text


def device_argument(text: str) -> str:
    """``type=`` of a ``--device`` command-line option: :func:`check_device`, errors as argparse reports them."""
    import argparse

    try:
        return check_device(text, "--device")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
