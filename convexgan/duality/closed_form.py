r"""Closed-form solutions of the WGAN generator problems (:ref:`theory-linear-generator`, :ref:`theory-free-generator`).

With empirical means, ``S_X = X^T X / n = V diag(lambda) V^T`` (lambda descending) and, for a linear generator
``G = Z W``, ``S_Z = Z^T Z / m = Q diag(s^2) Q^T`` (s descending).

Quadratic critic: the optimal generated second moment is the eigenvalue soft-threshold

.. math::  S_G^* = (S_X - \beta I)_+ = V \operatorname{diag}((\lambda - \beta)_+) V^T,

attained with the least :math:`\|W\|_F^2` by :math:`W^* = Q_k \operatorname{diag}(\sqrt{(\lambda_k - \beta)/s_k^2})
V_k^T`, :math:`k = \#\{i : \lambda_i > \beta\}`.

Linear critic: the optimal generated mean is the soft-threshold of the data mean,
:math:`\mu_G^* = \mu_X (1 - \beta / \|\mu_X\|)_+`.

The functions that take eigenpairs use only ``*``, ``@``, ``.T`` and ``** 0.5``, so they work on numpy arrays and
torch tensors alike.
"""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._validation import as_samples, check_int, check_positive
from convexgan.exceptions import InfeasibleError


def second_moment(X: ArrayLike) -> NDArray[np.float64]:
    r"""Return :math:`S_X = X^T X / n` for samples ``X`` of shape ``(n, d)``.

    Examples
    --------
    >>> import numpy as np
    >>> second_moment(np.array([[1.0, 0.0], [0.0, 2.0]])).tolist()
    [[0.5, 0.0], [0.0, 2.0]]
    """
    A = np.asarray(X)
    return A.T @ A / A.shape[0]


def eigh_descending(S: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Eigen-decomposition of a symmetric matrix with eigenvalues in descending order.

    Signs are made deterministic: the largest-magnitude entry of each eigenvector is positive.

    Returns
    -------
    lam : ndarray (d,)
    V : ndarray (d, d), columns are eigenvectors

    Examples
    --------
    >>> import numpy as np
    >>> lam, V = eigh_descending(np.diag([1.0, 3.0, 2.0]))
    >>> lam.tolist()
    [3.0, 2.0, 1.0]
    >>> bool(np.allclose(V @ np.diag(lam) @ V.T, np.diag([1.0, 3.0, 2.0])))
    True
    """
    lam, V = np.linalg.eigh((S + S.T) / 2)
    lam, V = lam[::-1], V[:, ::-1]
    pivot = np.argmax(np.abs(V), axis=0)
    V = V * np.sign(V[pivot, np.arange(V.shape[1])])
    return lam, V


def moment_spectrum(A: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Eigenpairs of :math:`A^T A / n` (descending, signs as :func:`eigh_descending`) without forming it when
    ``n < d``.

    For ``A`` of shape ``(n, d)`` with ``n < d`` the second moment has rank at most ``n``: the thin SVD
    :math:`A = U \operatorname{diag}(s) V^T` gives its nonzero eigenpairs :math:`(s_i^2 / n, v_i)` in
    :math:`O(n^2 d)` instead of the :math:`O(d^3)` eigendecomposition of the ``d x d`` matrix; the omitted
    eigenvalues are 0. Otherwise the ``d x d`` moment is decomposed.

    Returns
    -------
    lam : ndarray (min(n, d),) or (d,)
    V : ndarray (d, len(lam))
    """
    samples = np.asarray(A, dtype=np.float64)
    n, d = samples.shape
    if n >= d:
        return eigh_descending(second_moment(samples))
    _, s, Vt = np.linalg.svd(samples, full_matrices=False)
    V = Vt.T
    pivot = np.argmax(np.abs(V), axis=0)
    V = V * np.sign(V[pivot, np.arange(V.shape[1])])
    return s * s / n, V


def numerical_rank(eigenvalues: ArrayLike, size: int, rtol: float | None = None, reference: float = 0.0) -> int:
    """Number of eigenvalues of a PSD Gram matrix above ``rtol * max(largest, reference)``.

    ``rtol=None`` takes ``size * eps`` (numpy's ``matrix_rank`` rule, for matrices computed in closed form); a
    matrix returned by a solver takes :func:`convexgan.duality.solvers.rank_tolerance` of that solver, and
    ``reference`` the scale the solver's accuracy is relative to (the data's).

    Examples
    --------
    >>> numerical_rank([4.0, 1.0, 1e-20], size=3)
    2
    """
    values = np.asarray(eigenvalues)
    if values.size == 0 or values.max() <= 0:
        return 0
    relative = size * np.finfo(values.dtype).eps if rtol is None else rtol
    return int(np.count_nonzero(values > relative * max(float(values.max()), float(reference))))


def k_from_beta(X: ArrayLike, beta: float) -> int:
    r"""Number of components the quadratic critic keeps: :math:`k = \#\{i : \lambda_i(S_X) > \beta\}`.

    Parameters
    ----------
    X : array-like (n, d)
        Real samples.
    beta : float > 0
        Critic regularisation in mean units (:ref:`theory-notation`).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.diag([3.0, 2.0, 1.0]) * np.sqrt(3)  # S_X = diag(9, 4, 1)
    >>> k_from_beta(X, 2.5), k_from_beta(X, 0.5)
    (2, 3)
    """
    X = as_samples(X)
    beta = check_positive(beta, "beta")
    lam = moment_spectrum(X)[0]
    return int(np.count_nonzero(lam > beta))


def tie_tolerance(lam: ArrayLike, size: int) -> float:
    """Absolute gap below which two eigenvalues of a second moment count as tied: ``10 * size * eps * lam_1``."""
    return 10.0 * size * float(np.finfo(np.float64).eps) * max(float(np.max(lam, initial=0.0)), 0.0)


def attainable_k(lam: ArrayLike, size: int) -> list[int]:
    r"""The ``k`` in ``1 .. rank - 1`` that some beta attains: :math:`\lambda_k - \lambda_{k+1}` above
    :func:`tie_tolerance` (at a tie, :math:`\beta = \lambda_{k+1}` also removes :math:`\lambda_k`)."""
    values = np.asarray(lam)
    rank = numerical_rank(values, size)
    gaps = values[: max(rank - 1, 0)] - values[1:rank]
    return [int(k) for k in np.flatnonzero(gaps > tie_tolerance(values, size)) + 1]


def beta_from_k(X: ArrayLike, k: int) -> float:
    r"""The regularisation that keeps exactly ``k`` components: :math:`\beta = \lambda_{k+1}(S_X)`.

    Parameters
    ----------
    X : array-like (n, d)
        Real samples.
    k : int
        Number of kept components, ``1 <= k <= rank(S_X) - 1`` (``k = rank`` would need ``beta = 0``).

    Raises
    ------
    ValueError
        If ``k`` is out of range, or not attainable: when :math:`\lambda_k = \lambda_{k+1}` (a tie, up to
        :func:`tie_tolerance`) every beta keeps fewer or more than ``k`` components; the message lists the
        nearest attainable ``k``.

    References
    ----------
    .. [1] A. Sahiner, T. Ergen, B. Ozturkler, B. Bartan, J. Pauly, M. Mardani and M. Pilanci, "Hidden Convexity of
           Wasserstein GANs: Interpretable Generative Models with Closed-Form Solutions", ICLR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.diag([3.0, 2.0, 1.0]) * np.sqrt(3)  # S_X = diag(9, 4, 1)
    >>> round(beta_from_k(X, 1), 12), round(beta_from_k(X, 2), 12)
    (4.0, 1.0)
    """
    samples = as_samples(X)
    lam = moment_spectrum(samples)[0]
    size = max(samples.shape)
    rank = numerical_rank(lam, size)
    if rank < 2:
        raise ValueError(f"k={k!r} cannot be used: S_X has rank {rank}, so no k in 1..rank-1 exists; pass beta instead")
    k = check_int(k, "k", 1, rank - 1)
    attainable = attainable_k(lam, size)
    if k not in attainable:
        below = [j for j in attainable if j < k][-1:]
        above = [j for j in attainable if j > k][:1]
        nearest = " and ".join(str(j) for j in below + above) or "none"
        raise ValueError(
            f"k={k} is not attainable: lambda_{k} = {float(lam[k - 1])!r} and lambda_{k + 1} = {float(lam[k])!r} "
            f"of S_X are tied (gap <= {tie_tolerance(lam, size):.1e}), so beta = lambda_{k + 1} keeps fewer than "
            f"{k} components and a smaller beta more; nearest attainable k: {nearest}"
        )
    return float(lam[k])


def soft_threshold(lam: ArrayLike, beta: float) -> NDArray[np.float64]:
    r"""Return :math:`(\lambda - \beta)_+`, elementwise.

    Examples
    --------
    >>> soft_threshold([3.0, 1.5, 0.2], 1.0).tolist()
    [2.0, 0.5, 0.0]
    """
    return np.maximum(np.asarray(lam) - beta, 0.0)


def quadratic_critic_weights(lam: Any, V: Any, s2: Any, Q: Any, beta: float) -> Any:
    r"""Minimum-norm linear generator for the quadratic critic, from eigenpairs.

    .. math::  W^* = Q_k \operatorname{diag}\big(\sqrt{(\lambda_k - \beta) / s_k^2}\big) V_k^T,
               \qquad W^{*T} S_Z W^* = (S_X - \beta I)_+ .

    Parameters
    ----------
    lam : array (k,)
        The ``k`` kept eigenvalues of ``S_X`` (all ``> beta``), descending.
    V : array (d, k)
        Their eigenvectors.
    s2 : array (k,)
        The ``k`` largest eigenvalues of ``S_Z = Z^T Z / m`` (all ``> 0``), descending.
    Q : array (d_z, k)
        Their eigenvectors.
    beta : float
        Critic regularisation.

    Returns
    -------
    W : array (d_z, d)
        Works for numpy arrays and torch tensors.
    """
    scale = ((lam - beta) / s2) ** 0.5
    return (Q * scale) @ V.T


def quadratic_critic_value(lam: ArrayLike, s2: ArrayLike, beta: float) -> float:
    r"""Optimal :math:`\|W^*\|_F^2 = \sum_{i \le k} (\lambda_i - \beta) / s_i^2` for the kept pairs."""
    return float(np.sum((np.asarray(lam) - beta) / np.asarray(s2)))


def smallest_feasible_beta(lam: ArrayLike, rank_Z: int) -> float:
    r"""Smallest beta a generator of input rank ``rank_Z`` can meet: :math:`\lambda_{\operatorname{rank}(Z)+1}(S_X)`."""
    values = np.asarray(lam)
    return float(values[rank_Z]) if rank_Z < values.size else 0.0


def linear_critic_mean(mu_X: ArrayLike, beta: float) -> NDArray[np.float64]:
    r"""Soft-thresholded mean :math:`\mu_G^* = \mu_X (1 - \beta / \|\mu_X\|)_+` (the linear critic's optimum)."""
    mean = np.asarray(mu_X, dtype=np.float64)
    norm = np.linalg.norm(mean)
    if norm <= beta:
        return np.zeros_like(mean)
    return mean * (1.0 - beta / norm)


def check_mean_feasible(mu_X: ArrayLike, mu_Z: ArrayLike, beta: float) -> None:
    r"""Raise :class:`InfeasibleError` if ``G = Z W`` cannot meet :math:`\|\mu_X - W^T \mu_Z\| \le \beta`.

    That happens when :math:`\mu_Z = 0` and :math:`\|\mu_X\| > \beta`; the smallest feasible beta is then
    :math:`\|\mu_X\|`.
    """
    mean_Z = np.asarray(mu_Z, dtype=np.float64)
    norm_X = float(np.linalg.norm(mu_X))
    if norm_X > beta and float(mean_Z @ mean_Z) <= (np.finfo(np.float64).eps * mean_Z.size) ** 2:
        raise InfeasibleError(
            f"Z has zero mean, so G = Z W has zero mean and cannot meet ||mu_X - mu_G|| <= beta={beta!r}; "
            f"the smallest feasible beta is ||mu_X|| = {norm_X!r} (or append a ones column to Z)"
        )


def check_rank_feasible(lam: ArrayLike, rank_Z: int, beta: float) -> None:
    r"""Raise :class:`InfeasibleError` if :math:`k = \#\{i : \lambda_i > \beta\} > \operatorname{rank}(Z)`.

    A linear generator ``G = Z W`` has :math:`\operatorname{rank} S_G \le \operatorname{rank} Z`, while every
    feasible :math:`S_G` has at least ``k`` eigenvalues :math:`\ge \lambda_i - \beta > 0` (Weyl).
    """
    k = int(np.count_nonzero(np.asarray(lam) > beta))
    if k > rank_Z:
        raise InfeasibleError(
            f"beta={beta!r} keeps k={k} components but Z has rank {rank_Z}, so G = Z W cannot meet the quadratic "
            f"critic's constraint; the smallest feasible beta is lambda_(rank(Z)+1)(S_X) = "
            f"{smallest_feasible_beta(lam, rank_Z)!r} (or give Z more independent columns)"
        )


def linear_critic_weights(mu_X: ArrayLike, mu_Z: ArrayLike, beta: float) -> NDArray[np.float64]:
    r"""Minimum-norm linear generator for the linear critic.

    .. math::  W^* = \mu_Z \mu_X^T (1 - \beta / \|\mu_X\|)_+ / \|\mu_Z\|^2 .

    Raises
    ------
    InfeasibleError
        If ``mu_Z = 0`` while ``||mu_X|| > beta``; the smallest feasible beta is then ``||mu_X||``.
    """
    mean_X = np.asarray(mu_X, dtype=np.float64)
    mean_Z = np.asarray(mu_Z, dtype=np.float64)
    check_mean_feasible(mean_X, mean_Z, beta)
    target = linear_critic_mean(mean_X, beta)
    if not np.any(target):
        return np.zeros((mean_Z.size, mean_X.size))
    return np.outer(mean_Z, target) / float(mean_Z @ mean_Z)
