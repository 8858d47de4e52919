r"""Hyperplane arrangements: the activation patterns a ReLU neuron can realise on a point set
(:ref:`theory-relu-critic`).

A direction :math:`u \in \mathbb{R}^d` induces on the rows :math:`s_i` of ``S`` (shape ``(N, d)``) the pattern
:math:`P = 1[S u \ge 0] \in \{0, 1\}^N`; its cone is

.. math::  K_P = \{u : (2 P - 1) \odot (S u) \ge 0\}.

The hyperplanes :math:`s_i^T u = 0` cut :math:`\mathbb{R}^d` into open chambers whose closures cover the space, so
the chambers' patterns are all a maximisation over :math:`u` needs. With :math:`r = \operatorname{rank} S`, their
number is at most

.. math::  2 \sum_{k=0}^{r-1} \binom{N-1}{k} \;\le\; 2 r \left(\frac{e (N-1)}{r}\right)^r,

with equality on the left when the rows are in general position. Directions are taken in the row space of ``S``
(a component orthogonal to it changes no pattern). Enumeration is exact by angles when ``r <= 2``, and from
the chambers' extreme rays (or, more slowly, by incremental linear programs) in any rank; beyond a size limit
patterns are sampled from Gaussian directions, which only gives a subset (a lower bound on the set of patterns),
and the result says so.
"""

from dataclasses import dataclass
import numbers
from itertools import combinations
from math import comb
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._extras import linprog
from convexgan._validation import as_samples, check_choice, check_int

METHODS = ("auto", "angles", "vertices", "incremental", "sampled")
RANK_RTOL = 1e-9


@dataclass(frozen=True)
class Arrangement:
    """Activation patterns of a point set.

    Attributes
    ----------
    patterns : ndarray (p, N) of bool
        One row per chamber found, ``P = 1[S u >= 0]``.
    directions : ndarray (p, d)
        A unit direction strictly inside each chamber (``S u`` has no zero entry on rows with ``s_i != 0``).
    basis : ndarray (d, r)
        Orthonormal basis of the row space of ``S``.
    exact : bool
        True if every chamber was found; False for sampled patterns (a lower bound).
    method : str
        ``"angles"``, ``"vertices"``, ``"incremental"`` or ``"sampled"``.
    """

    patterns: NDArray[np.bool_]
    directions: NDArray[np.float64]
    basis: NDArray[np.float64]
    exact: bool
    method: str

    @property
    def rank(self) -> int:
        """Rank ``r`` of the point set."""
        return self.basis.shape[1]

    def __len__(self) -> int:
        return self.patterns.shape[0]


def random_generator(
    seed: int | np.integer[Any] | np.random.Generator | None, name: str = "seed"
) -> np.random.Generator:
    """Return ``numpy.random.default_rng(seed)`` after checking that ``seed`` is None, an int >= 0 or a Generator."""
    if seed is None or isinstance(seed, np.random.Generator):
        return np.random.default_rng(seed)
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0:
        raise TypeError(f"{name} must be None, an integer >= 0 or a numpy.random.Generator; got {seed!r}")
    return np.random.default_rng(int(seed))


def pattern_count_bound(N: int, r: int) -> float:
    r"""Upper bound :math:`2 r (e (N - 1) / r)^r` on the number of chambers of ``N`` points of rank ``r``.

    Parameters
    ----------
    N : int
        Number of points (hyperplanes through the origin).
    r : int
        Rank of the point set.

    Returns
    -------
    float
        The bound (``2`` when ``r = 1``, ``1`` when ``r = 0``).
    """
    N = check_int(N, "N", 1, np.iinfo(np.int64).max)
    r = check_int(r, "r", 0, N)
    if r == 0:
        return 1.0
    if N == 1:
        return 2.0
    return float(2 * r * (np.e * (N - 1) / r) ** r)


def max_chamber_count(N: int, r: int) -> int:
    r"""Largest number of chambers of ``N`` hyperplanes through the origin of rank ``r``.

    .. math::  2 \sum_{k=0}^{r-1} \binom{N-1}{k},

    attained exactly when the normals are in general position (Cover 1965); :func:`pattern_count_bound` bounds it.
    """
    N = check_int(N, "N", 1, np.iinfo(np.int64).max)
    r = check_int(r, "r", 1, N)
    return 2 * sum(comb(N - 1, k) for k in range(r))


def row_space(S: NDArray[np.float64], tol: float | None = None) -> NDArray[np.float64]:
    """Orthonormal basis ``(d, r)`` of the row space of ``S``.

    The rank counts singular values above ``tol`` (default ``RANK_RTOL`` times the largest, the tolerance at which
    the vertex enumeration calls hyperplanes dependent: directions the enumeration could not resolve are not
    kept). Projecting the rows onto this basis moves each by at most the largest dropped singular value, so a
    critic gap computed in it is within twice that of the gap of ``S`` (the gap is 1-Lipschitz in each row).
    """
    _, sv, Vt = np.linalg.svd(S, full_matrices=False)
    if tol is None:
        tol = sv.max(initial=0.0) * RANK_RTOL
    r = int(np.count_nonzero(sv > tol))
    return Vt[:r].T


def _nonzero_rows(S: NDArray[np.float64], basis: NDArray[np.float64]) -> NDArray[np.bool_]:
    scale = np.abs(S).max(initial=0.0)
    return np.linalg.norm(S @ basis, axis=1) > max(scale, 1.0) * S.shape[1] * np.finfo(np.float64).eps


def _unique_rows(B: NDArray[np.bool_]) -> NDArray[np.intp]:
    """Indices of the first occurrence of each distinct row of a boolean matrix ``B`` (p, N), in sorted order.

    Rows are packed into 64-bit words and sorted with ``lexsort`` (much faster than ``np.unique(axis=0)``).
    """
    packed = np.packbits(B, axis=1)
    packed = np.pad(packed, ((0, 0), (0, -packed.shape[1] % 8)))
    words = np.ascontiguousarray(packed).view(np.uint64)
    order = np.lexsort(words.T[::-1])
    sorted_words = words[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = np.any(sorted_words[1:] != sorted_words[:-1], axis=1)
    return order[new]


def _chambers_by_angles(T: NDArray[np.float64]) -> NDArray[np.float64]:
    """Chambers of the lines ``t_i^T y = 0`` in the plane; ``T`` is ``(N, 2)``, rows nonzero."""
    normal = np.arctan2(T[:, 1], T[:, 0])
    cuts = np.mod(np.concatenate([normal + np.pi / 2, normal - np.pi / 2]), 2 * np.pi)
    cuts = np.unique(np.round(cuts, 12))
    gaps = np.diff(np.append(cuts, cuts[0] + 2 * np.pi))
    mids = cuts + gaps / 2
    return np.stack([np.cos(mids), np.sin(mids)], axis=1)


def _chambers_by_vertices(T: NDArray[np.float64], chunk: int = 4096) -> NDArray[np.float64]:
    """Chambers of the hyperplanes ``t_i^T y = 0`` (``T`` of full column rank ``r``), from their extreme rays.

    In an essential arrangement of rank ``r >= 3`` every chamber is a pointed cone with an extreme ray ``v`` on
    ``r - 1`` independent hyperplanes ``J``. Near ``v`` the chambers are those of the hyperplanes through ``v``,
    an arrangement of rank ``r - 1`` in the plane orthogonal to ``v``: in general position these are the
    ``2^(r-1)`` sign choices on ``J`` (vectorised), otherwise they are enumerated recursively (by angles in
    rank 2). Each local chamber direction ``delta`` gives the interior point ``v + eps delta``.
    """
    N, r = T.shape
    if r <= 2:
        return np.array([[1.0], [-1.0]]) if r == 1 else _chambers_by_angles(T)
    lengths = np.linalg.norm(T, axis=1)
    tol = RANK_RTOL * lengths.max()
    signs = np.array(np.meshgrid(*[[-1.0, 1.0]] * (r - 1), indexing="ij")).reshape(r - 1, -1)
    points: list[NDArray[np.float64]] = []
    degenerate: list[NDArray[np.float64]] = []
    subsets = np.array(list(combinations(range(N), r - 1)), dtype=np.intp)
    for start in range(0, len(subsets), chunk):
        J = subsets[start : start + chunk]
        _, sv, Vt = np.linalg.svd(T[J], full_matrices=True)
        independent = sv[:, -1] > tol
        J, v = J[independent], Vt[independent, -1, :]
        TV = T @ v.T
        off = np.ones_like(TV, dtype=bool)
        off[J.T, np.arange(len(J))] = False
        clearance = np.where(off, np.abs(TV) / lengths[:, None], np.inf).min(axis=0)
        general = clearance > tol
        degenerate.append(v[~general])
        J, v, clearance = J[general], v[general], clearance[general]
        delta = np.linalg.pinv(T[J]) @ signs
        step = 0.5 * np.minimum(clearance, 1.0) / np.linalg.norm(delta, axis=1).max(axis=1)
        for ray in (v, -v):
            y = np.moveaxis(ray[:, :, None] + step[:, None, None] * delta, 1, 2).reshape(-1, r)
            y /= np.linalg.norm(y, axis=1, keepdims=True)
            points.append(y[_unique_rows(y @ T.T > 0)])
    rays = np.concatenate(degenerate)
    if len(rays):
        rays = _distinct_hyperplanes(rays)
    for v in rays:
        on = np.abs(T @ v) <= tol * lengths
        B = np.linalg.svd(v[None, :])[2][1:].T
        delta = _chambers_by_vertices(_distinct_hyperplanes(T[on] @ B)) @ B.T
        step = 0.5 * min(float((np.abs(T[~on] @ v) / lengths[~on]).min(initial=1.0)), 1.0)
        for ray in (v, -v):
            y = ray + step * delta
            points.append(y / np.linalg.norm(y, axis=1, keepdims=True))
    Y = np.concatenate(points)
    return Y[_unique_rows(Y @ T.T > 0)]


def _separates_every_hyperplane(Y: NDArray[np.float64], T: NDArray[np.float64]) -> bool:
    """Whether chambers ``Y`` (p, r) lie on both sides of every hyperplane ``t_i^T y = 0``: a necessary condition
    for a complete enumeration (each hyperplane bounds a chamber on either side), checked before claiming it."""
    sides = Y @ T.T > 0
    return len(Y) >= 2 and bool(np.all(sides.any(axis=0) & (~sides).any(axis=0)))


def _strict_point(A: NDArray[np.float64]) -> NDArray[np.float64] | None:
    """A unit ``y`` with ``A y >= 1`` scaled (strictly inside ``{A y > 0}``), or None if the cone has no interior."""
    r = A.shape[1]
    res = linprog(
        np.zeros(r), A_ub=-A, b_ub=-np.ones(A.shape[0]), bounds=[(None, None)] * r, method="highs"
    )
    if res.status != 0:
        return None
    y = res.x
    return y / np.linalg.norm(y)


def _chambers_incremental(T: NDArray[np.float64]) -> NDArray[np.float64]:
    """Chambers of the hyperplanes ``t_i^T y = 0`` by adding one hyperplane at a time.

    Each chamber keeps an interior point; a new hyperplane splits it iff the side its point is not on is also
    open, which one linear program decides (``A y >= 1`` with the chamber's sign-adjusted rows).
    """
    first = T[0] / np.linalg.norm(T[0])
    points: list[NDArray[np.float64]] = [first, -first]
    signs: list[NDArray[np.float64]] = [np.array([1.0]), np.array([-1.0])]
    for i in range(1, T.shape[0]):
        new_points: list[NDArray[np.float64]] = []
        new_signs: list[NDArray[np.float64]] = []
        for y, s in zip(points, signs):
            side = 1.0 if T[i] @ y > 0 else -1.0
            new_points.append(y)
            new_signs.append(np.append(s, side))
            A = np.vstack([s[:, None] * T[:i], -side * T[i]])
            other = _strict_point(A)
            if other is not None:
                new_points.append(other)
                new_signs.append(np.append(s, -side))
        points, signs = new_points, new_signs
        points = [_recentre(T[: i + 1], s, y) for y, s in zip(points, signs)]
    return np.array(points)


def _recentre(T: NDArray[np.float64], s: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """Keep the interior point away from the walls: if ``y`` is too close to one, move it by a linear program."""
    margins = s * (T @ y)
    if margins.min() > 1e-9 * np.abs(T).max():
        return y
    better = _strict_point(s[:, None] * T)
    return y if better is None else better


def _sampled_directions(r: int, n_samples: int, rng: np.random.Generator) -> NDArray[np.float64]:
    y = rng.standard_normal((n_samples, r))
    return y / np.linalg.norm(y, axis=1, keepdims=True)


def _distinct_hyperplanes(T: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows of ``T`` normalised and with repeated hyperplanes (parallel rows, either sign) removed."""
    unit = T / np.linalg.norm(T, axis=1, keepdims=True)
    pivot = np.argmax(np.abs(unit) > 1e-12, axis=1)
    unit = unit * np.sign(unit[np.arange(len(unit)), pivot])[:, None]
    _, first = np.unique(np.round(unit, 10), axis=0, return_index=True)
    return unit[np.sort(first)]


def activation_patterns(
    S: ArrayLike,
    *,
    method: str = "auto",
    max_patterns: int = 100000,
    n_samples: int | None = None,
    seed: int | np.integer[Any] | np.random.Generator | None = None,
) -> Arrangement:
    r"""Enumerate (or sample) the chambers of the arrangement :math:`\{u : s_i^T u = 0\}`.

    Parameters
    ----------
    S : array-like (N, d)
        The points (rows); for a ReLU critic ``S = [X; G]``.
    method : {"auto", "angles", "vertices", "incremental", "sampled"}
        Exact methods: ``"angles"`` (rank ``<= 2``, sorting the lines' angles), ``"vertices"`` (from the
        chambers' extreme rays: vectorised in general position, recursive at degenerate rays) and
        ``"incremental"`` (about one linear program per chamber and hyperplane: slow, kept as an independent
        check). ``"sampled"`` keeps the distinct patterns of ``n_samples`` Gaussian directions: a subset, so a
        lower bound. ``"auto"``: angles for rank ``<= 2``; otherwise vertices when :func:`max_chamber_count` (the
        exact worst case, below :func:`pattern_count_bound`) is at most ``max_patterns``, and sampling otherwise.
        A vertex enumeration that leaves a hyperplane with chambers on one side only (a degenerate arrangement
        the vertex tolerance could not resolve) is redone incrementally (``method`` then says so).
    max_patterns : int
        Size limit for the exact methods, compared with :func:`max_chamber_count` before enumerating.
    n_samples : int, optional
        Number of Gaussian directions for ``"sampled"`` (default ``max_patterns``).
    seed : int or numpy.random.Generator, optional
        Random source for ``"sampled"``.

    Returns
    -------
    Arrangement
        Patterns ``(p, N)``, interior unit directions ``(p, d)``, the row-space basis, and whether it is exact.
    """
    points = as_samples(S, "S")
    method = check_choice(method, "method", METHODS)
    rng = random_generator(seed)
    max_patterns = check_int(max_patterns, "max_patterns", 2, np.iinfo(np.int64).max)
    basis = row_space(points)
    r = basis.shape[1]
    if r == 0:
        raise ValueError("S must have a nonzero row; got an all-zero point set (every pattern is all ones)")
    active = _nonzero_rows(points, basis)
    T = _distinct_hyperplanes(points[active] @ basis)
    worst = max_chamber_count(T.shape[0], r)
    if method == "auto":
        method = "angles" if r <= 2 else "vertices" if worst <= max_patterns else "sampled"
    if method == "angles" and r > 2:
        raise ValueError(f"method='angles' needs a point set of rank <= 2; S has rank {r}")
    if method in ("vertices", "incremental") and worst > max_patterns:
        raise ValueError(
            f"method={method!r} on {T.shape[0]} distinct hyperplanes of rank {r} may produce up to {worst} "
            f"chambers, more than max_patterns={max_patterns}; raise max_patterns or use method='sampled'"
        )
    if method == "angles":
        Y = np.array([[1.0], [-1.0]]) if r == 1 else _chambers_by_angles(T)
    elif method == "vertices":
        Y = _chambers_by_vertices(T)
        if not _separates_every_hyperplane(Y, T):
            method, Y = "incremental", _chambers_incremental(T)
    elif method == "incremental":
        Y = _chambers_incremental(T)
    else:
        n_samples = max_patterns if n_samples is None else check_int(n_samples, "n_samples", 1, 10**9)
        Y = _sampled_directions(r, n_samples, rng)
    U = Y @ basis.T
    patterns = (points @ U.T >= 0).T
    patterns[:, ~active] = True
    first = _unique_rows(patterns)
    return Arrangement(patterns[first], U[first], basis, exact=method != "sampled", method=method)
