r"""Generators: from optimal moments to samples (free generator) or weights (linear generator ``G = Z W``).

The convex programs optimise the lifted moment matrix

.. math::  K = \begin{bmatrix} S_G & \mu_G \\ \mu_G^T & 1 \end{bmatrix} \succeq 0
           = \frac1m [G, 1]^T [G, 1] .

:func:`recover_samples` factors ``K`` into ``m`` rows (eigen-factorisation, then a Householder reflection that maps
the factor's last column onto the ones vector, :ref:`theory-free-generator`). :func:`min_norm_weights` gives the linear
generator of least :math:`\|W\|_F^2` with a prescribed second moment (:ref:`theory-linear-generator`, von Neumann
pairing), and
:func:`realize_moments` a linear generator with a prescribed mean and second moment.
"""

import numpy as np
from numpy.typing import NDArray

from convexgan.duality.closed_form import (
    InfeasibleError,
    eigh_descending,
    moment_spectrum,
    numerical_rank,
    quadratic_critic_weights,
)


def gram_factor(K: NDArray[np.float64], rows: int, name: str = "rows", rtol: float | None = None) -> NDArray[np.float64]:
    r"""Return ``F`` of shape ``(rows, p)`` with :math:`F^T F = K` for a PSD ``K`` (p, p) of rank at most ``rows``.

    Built from the eigen-decomposition :math:`K = V \operatorname{diag}(e) V^T`: the first rows are
    :math:`\operatorname{diag}(\sqrt{e_+}) V^T`, the rest zero. Eigenvalues at most ``rtol`` times the largest are
    dropped (:func:`convexgan.duality.closed_form.numerical_rank`; ``rtol`` is the accuracy of whatever produced
    ``K``). ``name`` is the caller's name for ``rows`` in the error message.
    """
    e, V = eigh_descending(K)
    e = np.maximum(e, 0.0)
    r = numerical_rank(e, K.shape[0], rtol)
    if r > rows:
        rule = "numpy's matrix_rank rule" if rtol is None else f"eigenvalues above {rtol:.1e} x the largest"
        raise ValueError(
            f"{name}={rows} cannot carry moments of rank {r}; expected {name} >= {r} (rank by {rule}; eigenvalues "
            f"{e[r - 1]:.3g} kept, {e[r] if r < e.size else 0.0:.3g} dropped, largest {e[0]:.3g})"
        )
    F = np.zeros((rows, K.shape[0]))
    F[:r] = np.sqrt(e[:r])[:, None] * V[:, :r].T
    return F


def reflect_column(F: NDArray[np.float64], j: int, target: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""Apply the Householder reflection :math:`H = I - 2 w w^T / w^T w`, :math:`w = F_{:, j} - t`, to ``F``.

    ``target`` ``t`` must have the norm of column ``j``; afterwards column ``j`` equals ``t`` and
    :math:`(HF)^T (HF) = F^T F`.
    """
    w = F[:, j] - target
    ww = float(w @ w)
    if ww <= (np.finfo(np.float64).eps * max(1.0, float(target @ target))) ** 2:
        return F.copy()
    return F - np.outer(w, (2.0 / ww) * (w @ F))


def scaled_lifted_moments(M: NDArray[np.float64], g: NDArray[np.float64], corner: float = 1.0,
                          scale: float | None = None) -> tuple[NDArray[np.float64], float]:
    r"""``(K, c)``: the lifted matrix :math:`K = [[M / c, g / \sqrt c], [g^T / \sqrt c, \text{corner}]]` and ``c``.

    :math:`c = \max(\operatorname{tr} M, \text{scale})` (1 when that is not positive). Scaling by
    :math:`\operatorname{tr} M` keeps the eigenvalues of a small ``M`` from being dropped against the constant
    corner; ``scale`` (the data's :math:`\operatorname{tr} S_X`, for moments returned by a solver whose accuracy is
    relative to the data) keeps the solver's noise in an ``M`` near 0 from being amplified into rank or into a
    negative eigenvalue. Rank decisions on ``K`` (:func:`gram_factor`) use this scaling.
    """
    c = max(float(np.trace(M)), 0.0 if scale is None else float(scale))
    c = c if c > 0 else 1.0
    root = np.sqrt(c)
    K = np.block([[M / c, g[:, None] / root], [g[None, :] / root, np.array([[corner]], dtype=np.float64)]])
    return K, c


def recover_samples(M: NDArray[np.float64], g: NDArray[np.float64], m: int, rtol: float | None = None,
                    scale: float | None = None) -> NDArray[np.float64]:
    r"""Samples ``G`` (m, d) with :math:`G^T G / m = M` and :math:`G^T 1 / m = g`.

    Factor :math:`m K = F^T F` with ``F`` (m, d+1), reflect its last column onto :math:`1_m`, keep the first ``d``
    columns. Needs :math:`m \ge \operatorname{rank} K` and :math:`M \succeq g g^T`. The moments are scaled first
    (:func:`scaled_lifted_moments`; ``G`` by :math:`\sqrt c` after).

    Parameters
    ----------
    M : ndarray (d, d)
    g : ndarray (d,)
    m : int
    rtol : float, optional
        Rank tolerance relative to the largest eigenvalue of ``K`` (:func:`gram_factor`); None for moments computed
        in closed form.
    scale : float, optional
        The data's :math:`\operatorname{tr} S_X`, for moments returned by a solver.

    Returns
    -------
    G : ndarray (m, d)
    """
    d = M.shape[0]
    K, c = scaled_lifted_moments(M, g, scale=scale)
    F = gram_factor(m * K, m, name="m", rtol=rtol)
    return np.sqrt(c) * reflect_column(F, d, np.ones(m))[:, :d]


def min_norm_weights(S_G: NDArray[np.float64], Z: NDArray[np.float64], rtol: float | None = None, scale: float = 0.0) -> NDArray[np.float64]:
    r"""The least-:math:`\|W\|_F^2` weights with :math:`W^T (Z^T Z / m) W = S_G` (:ref:`theory-linear-generator`).

    With :math:`S_G = U \operatorname{diag}(\sigma) U^T` and :math:`Z^T Z / m = Q \operatorname{diag}(s^2) Q^T`
    (both descending), :math:`W = Q_r \operatorname{diag}(\sqrt{\sigma_r / s_r^2}) U_r^T`,
    :math:`r = \operatorname{rank} S_G` (eigenvalues above ``rtol`` times the largest or ``scale``, the data's
    :math:`\operatorname{tr} S_X` for a solver's ``S_G``; see :func:`gram_factor`);
    the largest :math:`s` meets the largest :math:`\sigma` (von Neumann).

    Raises
    ------
    InfeasibleError
        If :math:`\operatorname{rank} S_G > \operatorname{rank} Z`.
    """
    sigma, U = eigh_descending(S_G)
    s2, Q = moment_spectrum(Z)
    r = numerical_rank(np.maximum(sigma, 0.0), S_G.shape[0], rtol, reference=scale)
    rank_Z = numerical_rank(s2, max(Z.shape))
    if r > rank_Z:
        raise InfeasibleError(
            f"Z has rank {rank_Z} but the optimal second moment has rank {r}; expected rank(Z) >= {r}"
        )
    weights: NDArray[np.float64] = quadratic_critic_weights(sigma[:r], U[:, :r], s2[:r], Q[:, :r], 0.0)
    return weights


def realize_moments(Z: NDArray[np.float64], M: NDArray[np.float64], g: NDArray[np.float64], rtol: float | None = None,
                    scale: float | None = None) -> NDArray[np.float64]:
    r"""Weights ``W`` (d_z, d) such that ``G = Z W`` has second moment ``M`` and mean ``g``.

    The columns of :math:`[G, 1] / \sqrt m` must lie in the column space of ``Z`` except for the ones vector,
    which only enters through its projection :math:`t` onto that space. With an orthonormal basis ``E`` of the
    column space, factor the Gram matrix :math:`[[M, g], [g^T, \|t\|^2]]` in ``rank(Z)`` rows, reflect its last
    column onto :math:`E^T t`, and set :math:`W = Z^+ \sqrt m\, E (H F)_{:, :d}` (the least-norm ``W`` for that
    ``G``; the rotation is not optimised, so :math:`\|W\|_F` is not certified minimal). As in
    :func:`recover_samples`, ``M`` and ``g`` are scaled first (:func:`scaled_lifted_moments` with ``scale``), and
    ``rtol`` is the rank tolerance of whatever produced them.

    Raises
    ------
    InfeasibleError
        If the moments cannot be produced by ``Z W`` (rank too small, or a mean that ``Z`` cannot carry).
    """
    m, d = Z.shape[0], M.shape[0]
    E_full, sv, _ = np.linalg.svd(Z, full_matrices=False)
    rank_Z = numerical_rank(sv * sv, max(Z.shape))
    E = E_full[:, :rank_Z]
    t = E.T @ np.ones(m) / np.sqrt(m)
    K, c = scaled_lifted_moments(M, g, corner=float(t @ t), scale=scale)
    root = np.sqrt(c)
    e, V = eigh_descending(K)
    if e[-1] < -(1e-7 if rtol is None else rtol) * max(float(e[0]), float(t @ t)):
        raise InfeasibleError(
            f"Z cannot produce the optimal mean: its column space carries only {float(t @ t)!r} of the ones "
            "vector's squared norm (append a ones column to Z)"
        )
    K = (V * np.maximum(e, 0.0)) @ V.T
    try:
        F = gram_factor(K, rank_Z, rtol=rtol)
    except ValueError:
        raise InfeasibleError(
            f"Z has rank {rank_Z}, too small for the optimal moments (rank "
            f"{numerical_rank(np.maximum(e, 0), d + 1, rtol)})"
        ) from None
    B = root * reflect_column(F, d, t)[:, :d]
    return np.linalg.lstsq(Z, np.sqrt(m) * (E @ B), rcond=None)[0]
