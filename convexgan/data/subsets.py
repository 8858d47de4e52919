r"""Seeded subsets of a sorted item list, stable across library versions; held-out draws; the list's hash.

Every image source sorts its items (relative paths, tar member names or array positions) and, after the
include / class / attribute filters, holds ``N`` *candidates* numbered :math:`0, \dots, N - 1` in that order.

Random order. Candidate :math:`i` gets the key

.. math::

    \kappa_i = \text{first 8 bytes, big-endian, of } \operatorname{SHA-256}(\text{purpose} \,\|\, \text{:}
    \,\|\, s \,\|\, \text{:} \,\|\, i),

with the seed :math:`s` and the index :math:`i` written in decimal; candidates sorted by
:math:`(\kappa_i, i)` are a uniformly random order (SHA-256 as a random function). Only ``hashlib`` is
involved, so the order is the same on every platform and every numpy version (``Generator.permutation`` is not
promised stable across numpy versions). The ``purpose`` keeps the draws of different jobs independent:
``"subset"`` (the training subset), ``"evaluate"`` (evaluation's real images), ``"reference"`` (histogram
matching references), ``"split"`` (evaluation's halves).

- ``subset='random'``: the ``n`` candidates first in that order, returned in sorted (list) order. For a fixed
  seed the subsets are nested: the subset of ``n`` is contained in the subset of any ``m > n``.
- ``subset='first'``: candidates ``0 .. n - 1`` (the behaviour before random subsets).

The list's hash (:func:`list_sha256`) is SHA-256 of the candidates' names, each followed by a newline, in
sorted order: for a folder ``find . -type f | sed 's|^./||' | LC_ALL=C sort | sha256sum`` restricted to the
images (UTF-8 byte order equals Python's code point order), for a tar archive its image member names sorted.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from convexgan._validation import check_choice, check_int

SUBSETS = ("random", "first")


def random_order(count: int, seed: int, purpose: str = "subset") -> NDArray[np.int64]:
    """The candidates ``0 .. count - 1`` in the seeded random order of the module docstring.

    Returns
    -------
    ndarray (count,) int64
    """
    count = check_int(count, "count", 0, 2**40)
    prefix = f"{purpose}:{check_int(seed, 'seed', 0, 2**63 - 1)}:".encode()
    keys = np.fromiter(
        (int.from_bytes(hashlib.sha256(prefix + str(i).encode()).digest()[:8], "big") for i in range(count)),
        dtype=np.uint64, count=count)
    return np.lexsort((np.arange(count), keys)).astype(np.int64)


def choose_subset(count: int, n: int | None, *, subset: str = "random", seed: int = 0,
                  purpose: str = "subset") -> NDArray[np.int64]:
    """Indices (sorted) of ``n`` of ``count`` candidates: a seeded random subset or the first ``n``.

    Parameters
    ----------
    count : int
        Number of candidates.
    n : int or None
        Wanted size; None or ``n >= count`` keeps every candidate.
    subset : {'random', 'first'}
    seed : int
    purpose : str
        See the module docstring.

    Returns
    -------
    ndarray (min(n, count),) int64, increasing
    """
    check_choice(subset, "subset", SUBSETS)
    if n is None or check_int(n, "n_images", 1, 2**62) >= count:
        return np.arange(count, dtype=np.int64)
    if subset == "first":
        return np.arange(n, dtype=np.int64)
    return np.sort(random_order(count, seed, purpose)[:n])


def draw_held_out(count: int, n: int, *, used: Iterable[int] = (), seed: int = 0,
                  purpose: str = "evaluate") -> tuple[NDArray[np.int64], int]:
    """``n`` candidates drawn at random, those outside ``used`` first.

    The unseen candidates (not in ``used``) are taken in the seeded random order; when fewer than ``n`` exist,
    the draw goes on with the used ones in the same order.

    Parameters
    ----------
    count : int
    n : int
        Wanted number (at most ``count`` are returned).
    used : iterable of int
        Candidates to avoid (e.g. the training images).
    seed : int
    purpose : str

    Returns
    -------
    indices : ndarray int64
        The drawn candidates, in draw order (not sorted).
    unseen : int
        How many candidates are outside ``used``.
    """
    order = random_order(count, seed, purpose)
    taken = np.zeros(count, dtype=bool)
    avoid = np.asarray(list(used), dtype=np.int64)
    if avoid.size and (avoid.min() < 0 or avoid.max() >= count):
        raise ValueError(f"used indices span [{avoid.min()}, {avoid.max()}], outside the {count} candidates")
    taken[avoid] = True
    ranked = np.concatenate([order[~taken[order]], order[taken[order]]])
    return ranked[: min(n, count)], int(count - taken.sum())


def list_sha256(names: Iterable[str]) -> str:
    """SHA-256 (hex) of ``names`` in the given order, each UTF-8 encoded and followed by a newline."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode("utf-8", "surrogateescape") + b"\n")
    return digest.hexdigest()
