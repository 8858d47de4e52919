r"""ReLU critic: the exact critic gap over hyperplane-arrangement cones, and a cutting-plane generator solve.

With :math:`S = [X; G]` (shape ``(n + m, d)``) and the pattern :math:`P = 1[S u \ge 0]` of a direction, the gap
is linear on the pattern's cone :math:`K_P = \{u : (2P - 1) \odot (S u) \ge 0\}`:

.. math::

    E_X (x^T u)_+ - E_G (g^T u)_+ = c_P^T u, \qquad
    c_P = \frac{1}{n} \sum_{i \in P,\ \text{real}} x_i - \frac{1}{m} \sum_{j \in P,\ \text{fake}} g_j ,

so (:ref:`theory-relu-critic`)

.. math::

    \max_{\|u\|_2 \le 1} \big| E_X (x^T u)_+ - E_G (g^T u)_+ \big|
    = \max_{P,\ s = \pm 1} \ \max_{u \in K_P,\ \|u\| \le 1} s\, c_P^T u
    = \max_{P,\ s = \pm 1} \big\| \Pi_{K_P}(s\, c_P) \big\|_2 .

The last step is Moreau's decomposition: the SOCP over a cone and the unit ball is solved by the projection onto
the cone, :math:`\Pi_{K}(c) = c + A^T \lambda^*` with :math:`K = \{A u \ge 0\}` and
:math:`\lambda^* = \arg\min_{\lambda \ge 0} \|c + A^T \lambda\|` (a non-negative least-squares problem).
"""

import time
import warnings
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._extras import cvxpy as cp, lsq_linear, nnls
from convexgan._validation import as_samples, check_int, check_positive
from convexgan.duality import solvers
from convexgan.duality.arrangements import activation_patterns, random_generator, row_space
from convexgan.exceptions import ConvergenceWarning, LowerBoundWarning


@dataclass(frozen=True)
class ReluCriticGap:
    r"""Value of :math:`\max_{\|u\| \le 1} |E_X (x^T u)_+ - E_G (g^T u)_+|` and the neuron that attains it.

    Attributes
    ----------
    value : float
        The maximum (exact if ``exact``, else a lower bound from sampled patterns).
    direction : ndarray (d,)
        A maximising unit neuron :math:`u^*` (zero if the value is zero).
    sign : float
        :math:`\pm 1`: the optimal critic is :math:`D(x) = \text{sign} \cdot (x^T u^*)_+` times its weight.
    exact : bool
        Whether every activation pattern was enumerated.
    n_patterns : int
        Number of patterns examined.
    method : str
        The arrangement method (see :func:`convexgan.duality.arrangements.activation_patterns`).
    """

    value: float
    direction: NDArray[np.float64]
    sign: float
    exact: bool
    n_patterns: int
    method: str


def relu_gap_at(X: NDArray[np.float64], G: NDArray[np.float64], U: NDArray[np.float64]) -> NDArray[np.float64]:
    r"""The critic gap :math:`E_X (x^T u)_+ - E_G (g^T u)_+` at given neurons.

    Parameters
    ----------
    X : ndarray (n, d)
    G : ndarray (m, d)
    U : ndarray (K, d)
        Neurons, one per row.

    Returns
    -------
    ndarray (K,)
    """
    return np.maximum(X @ U.T, 0).mean(axis=0) - np.maximum(G @ U.T, 0).mean(axis=0)


def _cone_projection_norm(A: NDArray[np.float64], c: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
    r"""Return :math:`(\|\Pi_K(c)\|, \Pi_K(c))` for :math:`K = \{y : A y \ge 0\}`.

    By Moreau's decomposition :math:`\Pi_K(c) = c + A^T \lambda` with
    :math:`\lambda = \arg\min_{\lambda \ge 0} \|A^T \lambda + c\|` (a non-negative least-squares problem).
    The NNLS answer is accepted only when it satisfies the KKT conditions :math:`A\,\Pi_K(c) \ge 0` and
    :math:`\lambda^T A\,\Pi_K(c) = 0` to rounding; otherwise (scipy 1.14 stops at its iteration limit, 1.15
    can return non-optimal points) the problem is solved again by bounded-variable least squares.
    """
    if np.all(A @ c >= 0):
        return float(np.linalg.norm(c)), c
    try:
        lam = nnls(A.T, -c)[0]
    except RuntimeError:
        lam = None
    if lam is None or not _projection_kkt(A, c, lam):
        lam = lsq_linear(A.T, -c, bounds=(0, np.inf), method="bvls").x
    proj = c + A.T @ lam
    return float(np.linalg.norm(proj)), proj


def _projection_kkt(A: NDArray[np.float64], c: NDArray[np.float64], lam: NDArray[np.float64], rtol: float = 1e-9) -> bool:
    """Whether ``lam >= 0`` satisfies the KKT conditions of the cone projection of ``c`` (relative ``rtol``)."""
    slack = A @ (c + A.T @ lam)
    tol = rtol * max(np.linalg.norm(A) * np.linalg.norm(c), np.finfo(float).tiny)
    return bool(np.all(slack >= -tol) and abs(lam @ slack) <= tol * max(1.0, np.abs(lam).sum()))


def _planar_gap(T: NDArray[np.float64], weights: NDArray[np.float64]) -> tuple[float, NDArray[np.float64], float, int]:
    r"""Closed-form critic gap in the plane: :math:`\max_\theta |f(\theta)|`, :math:`f(\theta) = \sum_i w_i
    (t_i^T u_\theta)_+`, :math:`u_\theta = (\cos\theta, \sin\theta)`, in :math:`O(N \log N)`.

    Row ``i`` is active on the half circle :math:`(\phi_i - \pi/2, \phi_i + \pi/2)`. Sorting these ends gives
    the arcs :math:`[a_k, b_k]` between consecutive cuts, on which :math:`f = c_k^T u_\theta` with
    :math:`c_k` updated by one sweep (cumulative sums of :math:`\pm w_i t_i`). On an arc,
    :math:`\max s\, c_k^T u_\theta` is :math:`\|c_k\|` when the angle of :math:`s c_k` lies in the arc, and the
    larger end value otherwise.

    Returns
    -------
    value : float
    y : ndarray (2,)
        A maximising unit direction (zero when the value is zero).
    sign : float
    arcs : int
        Number of arcs (chambers).
    """
    active = np.linalg.norm(T, axis=1) > 0
    T, weights = T[active], weights[active]
    phi = np.arctan2(T[:, 1], T[:, 0])
    ends = np.mod(np.concatenate([phi - np.pi / 2, phi + np.pi / 2]), 2 * np.pi)
    steps = np.concatenate([weights, -weights])[:, None] * np.vstack([T, T])
    order = np.argsort(ends, kind="stable")
    ends, steps = ends[order], steps[order]
    new = np.ones(len(ends), dtype=bool)
    new[1:] = np.diff(ends) > 1e-12
    starts = np.flatnonzero(new)
    cuts = ends[starts]
    jumps = np.add.reduceat(steps, starts, axis=0)
    stops = np.append(cuts[1:], cuts[0] + 2 * np.pi)
    middle = (cuts[0] + stops[0]) / 2
    first = weights @ (T * (T @ np.array([np.cos(middle), np.sin(middle)]) > 0)[:, None])
    C = first + np.cumsum(jumps, axis=0) - np.cumsum(jumps, axis=0)[0]
    best = (0.0, np.zeros(2), 1.0)
    for sign in (1.0, -1.0):
        D = sign * C
        norms = np.linalg.norm(D, axis=1)
        inside = np.mod(np.arctan2(D[:, 1], D[:, 0]) - cuts, 2 * np.pi) <= stops - cuts
        at_start = D[:, 0] * np.cos(cuts) + D[:, 1] * np.sin(cuts)
        at_stop = D[:, 0] * np.cos(stops) + D[:, 1] * np.sin(stops)
        values = np.where(inside, norms, np.maximum(at_start, at_stop))
        k = int(np.argmax(values))
        if values[k] > best[0]:
            if inside[k]:
                y = D[k] / norms[k]
            else:
                angle = cuts[k] if at_start[k] >= at_stop[k] else stops[k]
                y = np.array([np.cos(angle), np.sin(angle)])
            best = (float(values[k]), y, sign)
    return (*best, len(cuts))


def relu_critic_gap(X: ArrayLike, G: ArrayLike, *, method: str = "auto", max_patterns: int = 100000,
                    n_samples: int | None = None, seed: int | np.random.Generator | None = None) -> ReluCriticGap:
    r"""Exact ReLU critic gap :math:`\max_{\|u\|_2 \le 1} |E_X (x^T u)_+ - E_G (g^T u)_+|`.

    In the plane (rank 2) the maximum over each arc between consecutive cuts is in closed form
    (:func:`_planar_gap`, :math:`O(N \log N)`). In higher rank, the gap at each chamber's interior direction
    gives a first lower bound, and :math:`\pm c_P` inside its own
    cone gives the value :math:`\|c_P\|` (both vectorised); the other patterns get a cone projection each, in
    decreasing order of :math:`\|c_P\|`, stopping once :math:`\|c_P\|` (an upper bound on the pattern's value)
    is at most the best value found, which keeps the result exact. The value is exact when
    every pattern of :math:`[X; G]` is enumerated and a lower bound when the patterns are sampled (the result's
    ``exact`` says which).

    Parameters
    ----------
    X : array-like (n, d)
        Real samples.
    G : array-like (m, d)
        Generated samples.
    method, max_patterns, n_samples, seed
        Passed to :func:`convexgan.duality.arrangements.activation_patterns`.

    Returns
    -------
    ReluCriticGap
    """
    real = as_samples(X, "X")
    fake = as_samples(G, "G")
    if fake.shape[1] != real.shape[1]:
        raise ValueError(f"G must have d={real.shape[1]} columns like X; got shape {fake.shape}")
    return _samples_gap(real, fake, method, max_patterns, n_samples, seed)


def _samples_gap(X: NDArray[np.float64], G: NDArray[np.float64], method: str, max_patterns: int,
                 n_samples: int | None, seed: int | np.random.Generator | None) -> ReluCriticGap:
    """:func:`relu_critic_gap` of validated float64 samples ``X`` (n, d) and ``G`` (m, d)."""
    n, m = X.shape[0], G.shape[0]
    S = np.vstack([X, G])
    if not np.any(S):
        return ReluCriticGap(0.0, np.zeros(X.shape[1]), 1.0, True, 1, "angles")
    weights = np.concatenate([np.full(n, 1.0 / n), np.full(m, -1.0 / m)])
    basis = row_space(S)
    if basis.shape[1] == 2 and method in ("auto", "angles"):
        value, y, sign, arcs = _planar_gap(S @ basis, weights)
        return ReluCriticGap(value, basis @ y, sign, True, arcs, "angles")
    arrangement = activation_patterns(S, method=method, max_patterns=max_patterns, n_samples=n_samples, seed=seed)
    basis = arrangement.basis
    T = S @ basis
    C = (arrangement.patterns * weights) @ T
    norms = np.linalg.norm(C, axis=1)
    signs = np.where(arrangement.patterns, 1.0, -1.0)
    Y = arrangement.directions @ basis
    at_directions = np.einsum("pr,pr->p", C, Y)
    first = int(np.argmax(np.abs(at_directions)))
    value = abs(float(at_directions[first]))
    best = (value, value * Y[first], float(np.sign(at_directions[first]) or 1.0))
    for chunk in np.array_split(np.arange(len(C)), max(1, len(C) // 4096)):
        margins = signs[chunk] * (C[chunk] @ T.T)
        for sign, inside in ((1.0, margins.min(axis=1) >= 0), (-1.0, margins.max(axis=1) <= 0)):
            if np.any(inside):
                index = chunk[inside][np.argmax(norms[chunk[inside]])]
                if norms[index] > best[0]:
                    best = (float(norms[index]), sign * C[index], sign)
    for index in np.argsort(-norms, kind="stable"):
        if norms[index] <= best[0]:
            break
        A = signs[index][:, None] * T
        for sign in (1.0, -1.0):
            value, proj = _cone_projection_norm(A, sign * C[index])
            if value > best[0]:
                best = (value, proj, sign)
    value, proj, sign = best
    direction = basis @ proj / value if value > 0 else np.zeros(X.shape[1])
    return ReluCriticGap(value, direction, sign, arrangement.exact, len(arrangement), arrangement.method)


def relu_critic_value(X: ArrayLike, G: ArrayLike, *, max_patterns: int = 100000, n_samples: int | None = None,
                      seed: int | np.random.Generator | None = 0) -> float:
    r"""The ReLU critic gap as a float (the ``CRITIC_GAPS["relu"]`` entry): :func:`relu_critic_gap` ``.value``.

    Exact when :func:`convexgan.duality.arrangements.max_chamber_count` of ``[X; G]`` is at most
    ``max_patterns``; otherwise a lower bound from ``n_samples`` sampled directions, with a
    :class:`convexgan.exceptions.LowerBoundWarning`.
    """
    result = relu_critic_gap(X, G, max_patterns=max_patterns, n_samples=n_samples, seed=seed)
    if not result.exact:
        warnings.warn(
            f"ReLU critic gap from sampled patterns ({result.n_patterns} found): {result.value!r} is a lower bound; "
            f"raise max_patterns={max_patterns!r} for the exact value",
            LowerBoundWarning,
            stacklevel=2,
        )
    return result.value


@dataclass
class ReluSolve:
    r"""Result of the cutting-plane solve of the ReLU-critic generator problem (feasible, local to tolerance).

    Attributes
    ----------
    G : ndarray (m, d)
        Generated samples.
    W : ndarray (d_z, d) or None
        Linear generator weights (``G = Z W``) for ``generator="linear"``.
    value : float
        The generator regulariser :math:`R_g` at ``G`` (``||G||_F^2 / m`` or ``||W||_F^2``).
    lower_bound : float
        A valid lower bound on the global optimum (see :func:`relu_lower_bound`).
    critic : ReluCriticGap
        The critic gap at ``G``; feasible when ``critic.value <= beta (1 + tol)``.
    neurons : ndarray (K, d)
        The cutting planes (critic neurons) of the restriction that gave ``G``.
    weights : ndarray (K,)
        Critic output weights :math:`v_k`, from the restriction's multipliers (multiplier of the
        :math:`\ge` side minus that of the :math:`\le` side): the critic is
        :math:`D(x) = \sum_k v_k (x^T u_k)_+`.
    feasible : bool
    iterations : int
        Total over all starts.
    seconds : float
    history : list of dict
        Per iteration: start, regulariser, slack, critic gap, number of neurons.
    """

    G: NDArray[np.float64]
    W: NDArray[np.float64] | None
    value: float
    lower_bound: float
    critic: ReluCriticGap
    neurons: NDArray[np.float64]
    weights: NDArray[np.float64]
    feasible: bool
    iterations: int
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)


def relu_lower_bound(X: NDArray[np.float64], beta: float, Z: NDArray[np.float64] | None = None) -> float:
    r"""A valid lower bound on the optimal regulariser of the ReLU-critic problem.

    Since :math:`(t)_+ - (-t)_+ = t`, the constraint at :math:`\pm u` implies
    :math:`\|\mu_X - \mu_G\| \le 2\beta`; and :math:`E_G (g^T u)_+ \le E_G \|g\|` with the constraint at the
    maximiser of :math:`a(u) = E_X (x^T u)_+` gives :math:`E_G \|g\| \ge \max_{\|u\| \le 1} a(u) - \beta`. Hence

    .. math::

        \|G\|_F^2 / m \ \ge\ \max\big( (\|\mu_X\| - 2\beta)_+^2,\ (\max_u a(u) - \beta)_+^2 \big),

    and for :math:`G = Z W` (using :math:`\|W^T z\| \le \|W\|_F \|z\|`) the same terms divided by
    :math:`\|\mu_Z\|^2` and :math:`(E_Z \|z\|)^2` bound :math:`\|W\|_F^2`.

    Parameters
    ----------
    X : ndarray (n, d)
    beta : float
    Z : ndarray (m, d_z), optional
        Generator input for the linear generator.
    """
    mean_term = max(np.linalg.norm(X.mean(axis=0)) - 2 * beta, 0.0)
    relu_term = max(relu_critic_gap(X, np.zeros((1, X.shape[1]))).value - beta, 0.0)
    if Z is None:
        return max(mean_term, relu_term) ** 2
    mu_Z = np.linalg.norm(Z.mean(axis=0))
    mean_z = np.linalg.norm(Z, axis=1).mean()
    bounds = [relu_term / mean_z if mean_z > 0 else 0.0, mean_term / mu_Z if mu_Z > 0 else 0.0]
    return max(bounds) ** 2


def _fake_patterns(X: NDArray[np.float64], G: NDArray[np.float64], U: NDArray[np.float64], beta: float) -> NDArray[np.float64]:
    r"""Fixed patterns :math:`p_{jk}` for the restriction at the current samples ``G`` and neurons ``U``.

    :math:`p_{jk} = 1[g_j^T u_k \ge -\epsilon]` with :math:`\epsilon = 10^{-6} (1 + \max |X|)` (a sample on
    the hyperplane up to solver accuracy counts as active, so that it can cross it), except on neurons where
    ``G`` violates the reverse-convex side
    (:math:`E_G (g^T u_k)_+ < E_X (x^T u_k)_+ - \beta`): there the fake samples with the largest
    :math:`g_j^T u_k` are also switched on until as large a fraction of them as of the real samples is, so
    that samples can cross the hyperplane. Any :math:`p \in \{0, 1\}` keeps the restriction valid because
    :math:`(t)_+ \ge p t` for every :math:`t`.
    """
    H = G @ U.T
    patterns = H >= -1e-6 * (1.0 + np.abs(X).max())
    short = np.maximum(H, 0).mean(axis=0) < np.maximum(X @ U.T, 0).mean(axis=0) - beta
    need = np.ceil(G.shape[0] * (X @ U.T > 0).mean(axis=0)).astype(int)
    order = np.argsort(-H, axis=0)
    for k in np.flatnonzero(short):
        patterns[order[: need[k], k], k] = True
    return patterns.astype(float)


def _restriction(X: NDArray[np.float64], beta: float, U: NDArray[np.float64], patterns: NDArray[np.float64], Z: NDArray[np.float64] | None, m: int, d: int,
                 rho: float) -> tuple[Any, Any, Any, Any, list[Any]]:
    r"""The convex restriction at fixed fake patterns ``patterns`` ``(m, K)`` and neurons ``U`` ``(K, d)``."""
    a = np.maximum(X @ U.T, 0).mean(axis=0)
    t = cp.Variable(nonneg=True)
    if Z is None:
        W = None
        G = cp.Variable((m, d))
        regulariser = cp.sum_squares(G) / m
    else:
        W = cp.Variable((Z.shape[1], d))
        G = Z @ W
        regulariser = cp.sum_squares(W)
    H = G @ U.T
    constraints = [
        cp.sum(cp.pos(H), axis=0) / m <= a + beta + t,
        cp.sum(cp.multiply(patterns, H), axis=0) / m >= a - beta - t,
    ]
    problem = cp.Problem(cp.Minimize(regulariser + rho * t), constraints)
    return problem, G, W, t, constraints


def _regulariser(G: NDArray[np.float64], W: NDArray[np.float64] | None, m: int) -> float:
    """The generator regulariser: ``||G||_F^2 / m`` for free samples (``W`` None), else ``||W||_F^2``."""
    return float(np.sum(G**2) / m if W is None else np.sum(W**2))


_State = tuple[
    float, NDArray[np.float64], NDArray[np.float64] | None, ReluCriticGap, NDArray[np.float64], NDArray[np.float64]
]
"""A point of the cutting-plane method: ``(value, G, W, critic gap, neurons, critic weights)``."""

_Run = tuple[_State | None, _State]
"""One start's result: ``(best feasible state or None, last state)``."""


def _descend(
    X: NDArray[np.float64],
    beta: float,
    Z: NDArray[np.float64] | None,
    G_cur: NDArray[np.float64],
    W_cur: NDArray[np.float64] | None,
    U: list[NDArray[np.float64]],
    tol: float,
    max_iter: int,
    solver: str,
    options: dict[str, Any],
) -> tuple[_State | None, _State, list[dict[str, Any]]]:
    """One run of the cutting-plane method from ``G_cur``; returns (best feasible or None, last, history).

    Each state is ``(value, G, W, critic gap, neurons, critic weights)`` (:data:`_State`).
    """
    m, d = G_cur.shape
    critic = relu_critic_gap(X, G_cur, **options)
    if critic.value > 0:
        U = U + [critic.direction]
    rho = 10.0 * (1.0 + np.sqrt(np.mean(np.sum(X**2, axis=1))))
    rho_max = 1e4 * rho
    value = _regulariser(G_cur, W_cur, m)
    last = (value, G_cur, W_cur, critic, np.array(U), np.zeros(len(U)))
    best: _State | None = last if critic.value <= beta * (1 + tol) else None
    history: list[dict[str, Any]] = []
    for _ in range(max_iter):
        Uarr = np.array(U)
        patterns = _fake_patterns(X, G_cur if best is None else best[1], Uarr, beta)
        problem, G_var, W_var, t, constraints = _restriction(X, beta, Uarr, patterns, Z, m, d, rho)
        solvers.run(problem, solver, "SOCP")
        weights = np.asarray(constraints[1].dual_value) - np.asarray(constraints[0].dual_value)
        if Z is None:
            W_cur, G_cur = None, G_var.value
        else:
            W_cur = W_var.value
            G_cur = Z @ W_cur
        value = _regulariser(G_cur, W_cur, m)
        slack = float(t.value)
        critic = relu_critic_gap(X, G_cur, **options)
        feasible = critic.value <= beta * (1 + tol)
        history.append({"regulariser": value, "slack": slack, "critic_gap": critic.value, "neurons": len(U)})
        last = (value, G_cur, W_cur, critic, Uarr, weights)
        if slack > tol * beta:
            rho = min(10.0 * rho, rho_max)
        if feasible:
            converged = best is not None and value >= best[0] * (1 - tol)
            if best is None or value < best[0]:
                best = last
            if converged:
                break
        elif np.min(np.linalg.norm(Uarr - critic.direction, axis=1)) > 1e-9:
            U = U + [critic.direction]
        elif slack <= tol * beta:
            break
    return best, last, history


def solve_relu_critic(
    X: ArrayLike,
    beta: float,
    *,
    Z: ArrayLike | None = None,
    m: int | None = None,
    tol: float = 1e-3,
    max_iter: int = 60,
    solver: str = "CLARABEL",
    seed: int | np.random.Generator | None = 0,
    restarts: int = 4,
    max_patterns: int = 100000,
    n_samples: int | None = None,
) -> ReluSolve:
    r"""A feasible generator against a ReLU critic, local to tolerance, by convex restrictions and cutting planes.

    The problem (:ref:`theory-critic-to-constraint`, :ref:`theory-relu-critic`), with :math:`R_g = \|G\|_F^2 / m`
    (free samples) or
    :math:`\|W\|_F^2` (:math:`G = Z W`):

    .. math::

        \min_G R_g \quad \text{s.t.} \quad
        \max_{\|u\| \le 1} \big| E_X (x^T u)_+ - E_G (g^T u)_+ \big| \le \beta .

    For a finite set of neurons :math:`u_k` the constraint :math:`E_G (g^T u_k)_+ \le a_k + \beta`
    (:math:`a_k = E_X (x^T u_k)_+`) is convex, and :math:`E_G (g^T u_k)_+ \ge a_k - \beta` is reverse-convex;
    replacing :math:`(g_j^T u_k)_+` there by :math:`p_{jk}\, g_j^T u_k` with fixed patterns :math:`p_{jk}` gives a
    convex restriction (:math:`(t)_+ \ge p t` for :math:`p \in \{0, 1\}`); with the patterns
    :math:`p_{jk} = 1[g_j^T u_k \ge 0]` of a feasible point it contains that point. Each iteration solves the
    restriction at the patterns of the best feasible samples found so far (of the current samples until one is
    found, with a slack :math:`t \ge 0` priced by an increasing penalty :math:`\rho`), then evaluates the exact
    critic gap of the solution: above :math:`\beta (1 + \text{tol})` its maximising neuron becomes a new cut;
    otherwise the solution is feasible and becomes the new linearisation point, and the method stops when it no
    longer lowers the regulariser by more than ``tol`` (relative). The free generator starts from the data
    rows (feasible when ``m = n``), the linear generator from the least-squares fit of ``Z`` to data rows.

    The result is **feasible** when ``critic.value <= beta (1 + tol)`` (exact when ``critic.exact``), and only
    **local to tolerance**: the method stopped because a restriction no longer lowered the regulariser by more
    than ``tol``; that certifies neither global nor local optimality (the fixed-pattern restriction makes it a
    descent method, and feasible points a few 1e-4 lower were found within 3% of a returned solution,
    ``benchmarks/relu_pairing_figure.py``).

    Parameters
    ----------
    X : array-like (n, d)
        Real samples.
    beta : float > 0
        Critic regularisation (mean units).
    Z : array-like (m, d_z), optional
        Generator input; gives the linear generator ``G = Z W``. Without it the samples are free.
    m : int, optional
        Number of free samples (default ``n``); ignored when ``Z`` is given.
    tol : float
        Relative feasibility and stopping tolerance.
    max_iter : int
        Iteration limit.
    solver : str
        CVXPY solver for the restrictions (SOCPs).
    seed : int or numpy.random.Generator
        Chooses the starting samples (data rows) when ``m != n`` or ``Z`` is given.
    restarts : int
        Number of random starts when the start is not known to be feasible (``m != n`` or ``Z`` given); the
        best feasible result is kept. The free generator with ``m = n`` starts once, from the data.
    max_patterns, n_samples
        Passed to :func:`relu_critic_gap` (exact enumeration limit; number of sampled directions beyond it).

    Returns
    -------
    ReluSolve
    """
    start = time.perf_counter()
    real = as_samples(X, "X")
    beta = check_positive(beta, "beta")
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter", 1, 10**6)
    restarts = check_int(restarts, "restarts", 1, 10**4)
    rng = random_generator(seed)
    noise, m = _check_generator(real, Z, m)
    options = {"max_patterns": max_patterns, "n_samples": n_samples, "seed": rng}
    runs, history = _run_starts(real, beta, noise, m, rng, tol, max_iter, restarts, solver, options)
    value, G, W, critic, neurons, weights = _best_run(runs, beta, tol, max_iter)
    return ReluSolve(
        G=G,
        W=W,
        value=value,
        lower_bound=relu_lower_bound(real, beta, noise),
        critic=critic,
        neurons=neurons,
        weights=weights,
        feasible=critic.value <= beta * (1 + tol),
        iterations=len(history),
        seconds=time.perf_counter() - start,
        history=history,
    )


def _check_generator(
    X: NDArray[np.float64], Z: ArrayLike | None, m: int | None
) -> tuple[NDArray[np.float64] | None, int]:
    """The validated generator input ``Z`` (or None) and the number of generated samples ``m`` (``len(Z)``
    when ``Z`` is given, else ``m``, default ``n``)."""
    noise = None
    if Z is not None:
        noise = as_samples(Z, "Z")
        m = noise.shape[0]
    return noise, X.shape[0] if m is None else check_int(m, "m", 1, 10**7)


def _run_starts(
    X: NDArray[np.float64],
    beta: float,
    Z: NDArray[np.float64] | None,
    m: int,
    rng: np.random.Generator,
    tol: float,
    max_iter: int,
    restarts: int,
    solver: str,
    options: dict[str, Any],
) -> tuple[list[_Run], list[dict[str, Any]]]:
    """Run :func:`_descend` from each start: the data rows once when that start is feasible (free samples,
    ``m = n``), else ``restarts`` random choices of data rows (fitted by least squares when ``Z`` is given).

    Every run starts with the two neurons of the top critic gap (against zero samples) as cuts. Returns the
    runs and their concatenated history, each step tagged with its start.
    """
    n, d = X.shape
    top = relu_critic_gap(X, np.zeros((1, d)), **options)
    feasible_start = Z is None and m == n
    runs: list[_Run] = []
    history: list[dict[str, Any]] = []
    for run in range(1 if feasible_start else restarts):
        rows = np.arange(n) if feasible_start else rng.choice(n, m, replace=m > n)
        W_start: NDArray[np.float64] | None = None
        if Z is None:
            G_start = X[rows]
        else:
            W_start = cast(NDArray[np.float64], np.linalg.lstsq(Z, X[rows], rcond=None)[0])
            G_start = Z @ W_start
        best, last, steps = _descend(X, beta, Z, G_start, W_start, [top.direction, -top.direction], tol,
                                     max_iter, solver, options)
        runs.append((best, last))
        history.extend({"start": run, **step} for step in steps)
    return runs, history


def _best_run(runs: list[_Run], beta: float, tol: float, max_iter: int) -> _State:
    """The feasible state of least regulariser over all runs; if no run found one, the last state of least
    critic gap, with a :class:`ConvergenceWarning` (attributed to the caller of :func:`solve_relu_critic`)."""
    found = [best for best, _ in runs if best is not None]
    if found:
        return min(found, key=lambda item: item[0])
    best = min((last for _, last in runs), key=lambda item: item[3].value)
    warnings.warn(
        f"the ReLU cutting-plane solve found no samples with critic gap <= beta (1 + tol) = {beta * (1 + tol)!r} "
        f"from {len(runs)} start(s) of {max_iter} iterations (smallest gap {best[3].value!r}); the problem may be "
        f"infeasible for this generator, or raise beta, restarts or max_iter",
        ConvergenceWarning,
        stacklevel=3,
    )
    return best
