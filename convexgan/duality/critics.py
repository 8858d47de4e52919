r"""Two-layer critics and the constraint (C) they impose on the generated samples (:ref:`theory-critic-to-constraint`).

A critic :math:`D(x) = \sum_j v_j \sigma(u_j^T x)` with :math:`\|u_j\|_2 \le 1` and penalty
:math:`\beta \sum_j |v_j|` turns the WGAN into the constraint

.. math::  \max_{\|u\|_2 \le 1} \big| E_X \sigma(x^T u) - E_G \sigma(g^T u) \big| \le \beta .   \tag{C}

Its left side, the *critic gap*, is computed here without any solver:

- linear :math:`\sigma(t) = t`: :math:`\|\mu_X - \mu_G\|_2`;
- quadratic :math:`\sigma(t) = t^2`: :math:`\|S_X - S_G\|_2` (largest absolute eigenvalue);
- polynomial :math:`\sigma(t) = a t^2 + b t + c`: :math:`\max_{\|u\| \le 1} |a u^T D_2 u + b D_1^T u|` with
  :math:`D_2 = S_X - S_G`, :math:`D_1 = \mu_X - \mu_G`, two trust-region problems solved exactly through their
  one-dimensional S-lemma duals (:func:`max_quadratic_on_ball`).

Extension point
---------------
``CRITIC_GAPS`` maps a critic name to ``fn(X, G, **params) -> float``. The keyword-only parameters of ``fn``
(with their defaults) are the parameters that critic accepts: :func:`critic_parameters` reads them from the
signature, so registering a new critic is one new entry here (and one in ``ACTIVATIONS`` for its neurons).
"""

import inspect
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._extras import brentq
from convexgan._validation import as_samples, check_choice
from convexgan.duality.relu import relu_critic_value


def _polynomial(t: NDArray[np.float64], a: float, b: float, c: float) -> NDArray[np.float64]:
    return a * t * t + b * t + c


ACTIVATIONS: dict[str, Callable[..., NDArray[np.float64]]] = {
    "linear": lambda t: t,
    "quadratic": lambda t: t * t,
    "polynomial": _polynomial,
    "relu": lambda t: np.maximum(t, 0.0),
}


class Critic:
    r"""A two-layer critic :math:`D(x) = \sum_j v_j \sigma(u_j^T x)`.

    Parameters
    ----------
    activation : str
        A key of ``ACTIVATIONS``.
    U : ndarray (d, p)
        Neurons :math:`u_j` as columns (each of norm at most 1 up to solver tolerance).
    v : ndarray (p,)
        Output weights :math:`v_j`; the critic's penalty is :math:`\beta \sum_j |v_j|`.
    **params
        Parameters of the activation (``a, b, c`` for the polynomial).
    """

    def __init__(self, activation: str, U: ArrayLike, v: ArrayLike, **params: float) -> None:
        self.activation = activation
        self.U = np.asarray(U, dtype=np.float64)
        self.v = np.asarray(v, dtype=np.float64).reshape(-1)
        self.params = dict(params)

    def __call__(self, X: ArrayLike) -> NDArray[np.float64]:
        """Evaluate the critic on the rows of ``X`` (shape ``(n, d)``); returns shape ``(n,)``."""
        samples = as_samples(X)
        return ACTIVATIONS[self.activation](samples @ self.U, **self.params) @ self.v

    @property
    def neurons(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The pairs :math:`(u_j, v_j)` as ``(U, v)`` with ``U`` of shape ``(d, p)``."""
        return self.U, self.v

    @property
    def penalty(self) -> float:
        r""":math:`\sum_j |v_j|`, the critic's weight-decay term divided by beta."""
        return float(np.abs(self.v).sum())

    def __repr__(self) -> str:
        return f"Critic({self.activation!r}, {self.U.shape[1]} neurons, d={self.U.shape[0]}, params={self.params})"


def moments(G: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Return :math:`(\mu_G, S_G) = (G^T 1 / m, G^T G / m)` of samples ``G`` (shape ``(m, d)``)."""
    return G.mean(axis=0), G.T @ G / G.shape[0]


def max_quadratic_on_ball(A: NDArray[np.float64], g: NDArray[np.float64]) -> float:
    r"""Exact :math:`\max_{\|u\|_2 \le 1} u^T A u + g^T u` for a symmetric ``A`` (d, d) and ``g`` (d,).

    By the S-lemma (exact: :math:`u = 0` is strictly feasible) the value is the one-dimensional convex minimum

    .. math::  \min_{\lambda \ge \max(0, \lambda_{\max}(A))} \; \lambda + \tfrac14 g^T (\lambda I - A)^{-1} g
               = \min_\lambda \; \lambda + \tfrac14 \sum_i \tilde g_i^2 / (\lambda - a_i),

    with :math:`A = P \operatorname{diag}(a) P^T`, :math:`\tilde g = P^T g`. Its stationarity condition
    :math:`\|u(\lambda)\| = 1`, :math:`u(\lambda) = (\lambda I - A)^{-1} g / 2`, is monotone in
    :math:`\lambda` and solved by Brent's method; when it has no root the minimum is at the lower end
    (interior maximiser, or the "hard case"). Components :math:`|\tilde g_i| \le 10^3 \epsilon \max(1, \|A\|,
    \|g\|)` are treated as zero; the value is 1-Lipschitz in ``g``, so this moves it by at most
    :math:`\sqrt d` times that bound.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.diag([1.0, -2.0])
    >>> round(max_quadratic_on_ball(A, np.zeros(2)), 12)  # lambda_max(A) when g = 0
    1.0
    >>> round(max_quadratic_on_ball(np.zeros((2, 2)), np.array([3.0, 4.0])), 12)  # ||g|| when A = 0
    5.0
    """
    a, P = np.linalg.eigh((A + A.T) / 2)
    gt = P.T @ g
    g2 = gt * gt
    lower = max(0.0, float(a[-1]))
    scale = max(1.0, float(np.abs(a).max()), float(np.sqrt(g2.sum())))
    active = g2 > (1e3 * np.finfo(np.float64).eps * scale) ** 2

    def half_norm_sq(lam: float) -> float:
        gap = lam - a[active]
        with np.errstate(divide="ignore"):
            return float(np.sum(g2[active] / (gap * gap))) / 4.0

    def secular(lam: float) -> float:
        norm2 = half_norm_sq(lam)
        return 1.0 / np.sqrt(norm2) - 1.0 if norm2 > 0 else np.inf

    if not np.any(active) or (np.all(lower > a[active]) and half_norm_sq(lower) <= 1.0):
        lam = lower
    else:
        upper = lower + 1.01 * np.sqrt(g2[active].sum()) / 2.0
        lam = brentq(secular, lower, upper, xtol=4 * np.finfo(np.float64).eps * scale, rtol=1e-15)
    return float(lam + np.sum(g2[active] / (lam - a[active])) / 4.0)


def polynomial_moment_gap(D1: NDArray[np.float64], D2: NDArray[np.float64], a: float, b: float) -> float:
    r""":math:`\max_{\|u\| \le 1} |a u^T D_2 u + b D_1^T u|` from moment differences ``D1`` (d,) and ``D2`` (d, d)."""
    return max(max_quadratic_on_ball(a * D2, b * D1), max_quadratic_on_ball(-a * D2, -b * D1))


def _check_samples_pair(X: ArrayLike, G: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    real = as_samples(X, "X")
    fake = as_samples(G, "G")
    if fake.shape[1] != real.shape[1]:
        raise ValueError(f"G must have d={real.shape[1]} columns like X; got shape {fake.shape}")
    return real, fake


def _in_row_space(X: NDArray[np.float64], G: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""``(X Q, G Q)`` with ``Q`` (d, n + m) an orthonormal basis of the span of the rows when ``n + m < d``.

    The quadratic and polynomial gaps only see :math:`u` through :math:`S_X - S_G` and :math:`\mu_X - \mu_G`,
    whose ranges lie in that span, so the maximum over the ball is the same in the span's coordinates and costs
    no ``d x d`` matrix.
    """
    if X.shape[0] + G.shape[0] >= X.shape[1]:
        return X, G
    Q = np.linalg.qr(np.vstack([X, G]).T)[0]
    return X @ Q, G @ Q


def _check_real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(np.asarray(value)):
        raise ValueError(f"{name}={value!r} must be a finite real number")
    return float(value)


def linear_critic_gap(X: ArrayLike, G: ArrayLike) -> float:
    r"""Left side of (C) for the linear critic: :math:`\|\mu_X - \mu_G\|_2`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> G = np.zeros((3, 2))
    >>> bool(np.isclose(linear_critic_gap(X, G), np.hypot(2.0, 3.0)))
    True
    """
    real, fake = _check_samples_pair(X, G)
    return float(np.linalg.norm(real.mean(axis=0) - fake.mean(axis=0)))


def quadratic_critic_gap(X: ArrayLike, G: ArrayLike) -> float:
    r"""Left side of (C) for the quadratic critic: :math:`\|S_X - S_G\|_2 = \max_i |\lambda_i(S_X - S_G)|`.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.diag([2.0, 1.0])  # S_X = diag(2, 0.5)
    >>> G = np.zeros((1, 2))
    >>> quadratic_critic_gap(X, G)
    2.0
    """
    real, fake = _in_row_space(*_check_samples_pair(X, G))
    D2 = moments(real)[1] - moments(fake)[1]
    return float(np.abs(np.linalg.eigvalsh((D2 + D2.T) / 2)).max())


def polynomial_critic_gap(X: ArrayLike, G: ArrayLike, *, a: float = 0.09, b: float = 0.5, c: float = 0.47) -> float:
    r"""Left side of (C) for :math:`\sigma(t) = a t^2 + b t + c` (``c`` cancels between the two means).

    .. math::  \max_{\|u\|_2 \le 1} \big| a\, u^T (S_X - S_G) u + b\, (\mu_X - \mu_G)^T u \big| .
    """
    real, fake = _in_row_space(*_check_samples_pair(X, G))
    a, b = check_polynomial(a, b, c)
    mu_X, S_X = moments(real)
    mu_G, S_G = moments(fake)
    return polynomial_moment_gap(mu_X - mu_G, S_X - S_G, a, b)


def check_polynomial(a: object, b: object, c: object) -> tuple[float, float]:
    """Validate the polynomial activation's coefficients; return ``(a, b)`` as floats."""
    a_real, b_real = _check_real(a, "a"), _check_real(b, "b")
    _check_real(c, "c")
    if a_real == 0 and b_real == 0:
        raise ValueError("a=0 and b=0 make the polynomial critic constant; expected a != 0 or b != 0")
    return a_real, b_real


CRITIC_GAPS: dict[str, Callable[..., float]] = {
    "linear": linear_critic_gap,
    "quadratic": quadratic_critic_gap,
    "polynomial": polynomial_critic_gap,
    "relu": relu_critic_value,
}


def critic_parameters(critic: str, params: dict[str, Any]) -> dict[str, Any]:
    """Check ``params`` against the keyword-only parameters of ``CRITIC_GAPS[critic]``; return them with defaults.

    Raises
    ------
    ValueError
        For an unknown critic or a parameter that critic does not take.
    """
    check_choice(critic, "critic", tuple(CRITIC_GAPS))
    signature = inspect.signature(CRITIC_GAPS[critic])
    accepted = {
        name: p.default for name, p in signature.parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY
    }
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        takes = ", ".join(accepted) if accepted else "none"
        raise ValueError(f"critic_params {unknown} are not parameters of critic={critic!r}; it takes: {takes}")
    return {**accepted, **params}


def critic_gap(X: ArrayLike, G: ArrayLike, critic: str, **critic_params: Any) -> float:
    r"""The left side of constraint (C) for real samples ``X`` (n, d) and generated samples ``G`` (m, d).

    Computed from moments by norms, eigenvalues or the S-lemma, independently of any solver.

    Parameters
    ----------
    X : array-like (n, d)
    G : array-like (m, d)
    critic : str
        A key of ``CRITIC_GAPS`` (``"linear"``, ``"quadratic"``, ``"polynomial"``, ...).
    **critic_params
        The critic's parameters, e.g. ``a, b, c`` for the polynomial.

    Returns
    -------
    float
        ``(C)`` holds when this is at most beta.

    References
    ----------
    .. [1] A. Sahiner, T. Ergen, B. Ozturkler, B. Bartan, J. Pauly, M. Mardani and M. Pilanci, "Hidden Convexity of
           Wasserstein GANs: Interpretable Generative Models with Closed-Form Solutions", ICLR 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from convexgan.duality import critic_gap, solve
    >>> X = np.random.default_rng(0).standard_normal((200, 4)) * [3.0, 2.0, 1.0, 0.5]
    >>> G = solve(X, "quadratic", beta=1.0).G
    >>> round(critic_gap(X, G, "quadratic"), 8)
    1.0
    >>> bool(np.isclose(critic_gap(X, G, "linear"), np.linalg.norm(X.mean(0))))  # the quadratic critic ignores means
    True
    """
    params = critic_parameters(critic, critic_params)
    return float(CRITIC_GAPS[critic](X, G, **params))


def rotation_root(qa: float, qb: float, qc: float) -> float:
    r"""A root :math:`\alpha` of :math:`q_a \alpha^2 + q_b \alpha + q_c = 0` with :math:`q_a q_c < 0`, computed without
    cancellation.

    With :math:`q = -(q_b + \operatorname{sign}(q_b) \sqrt{q_b^2 - 4 q_a q_c}) / 2` (no cancellation: both terms
    have the sign of :math:`-q_b`), the roots are :math:`q / q_a` and :math:`q_c / q` (the "citardauq" form). The
    second one is returned: it is finite and nonzero whenever :math:`q_c \ne 0`, and tends to the root
    :math:`-q_c / q_b` of the linear equation when :math:`q_a \to 0`.
    """
    disc = np.sqrt(max(qb * qb - 4.0 * qa * qc, 0.0))
    q = -0.5 * (qb + float(np.copysign(disc, qb)))
    return qc / q


def neurons_from_moment_matrix(Y: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Split a PSD :math:`Y = [[Y_{11}, y], [y^T, y_0]]` with :math:`\operatorname{tr} Y_{11} \le y_0` into neurons.

    Returns ``U`` (d, p) and ``w`` (p,) > 0 with

    .. math::  Y = \sum_j w_j \begin{bmatrix} u_j \\ 1 \end{bmatrix} \begin{bmatrix} u_j \\ 1 \end{bmatrix}^T,
               \qquad \|u_j\|_2 \le 1,

    by the rank-one decomposition of Sturm and Zhang (2003) for :math:`\langle J, Y \rangle \le 0`,
    :math:`J = \operatorname{diag}(I, -1)`: starting from an eigen-factorisation :math:`Y = \sum_j p_j p_j^T`, a
    factor with :math:`p^T J p > 0` and one with :math:`q^T J q < 0` are rotated,

    .. math::  p' = (p + \alpha q) / \sqrt{1 + \alpha^2}, \quad q' = (q - \alpha p) / \sqrt{1 + \alpha^2},
               \qquad p'^T J p' = 0,

    (:func:`rotation_root` gives :math:`\alpha`), and :math:`p'` is set aside as finished. Every rotation finishes
    one factor, so the loop makes fewer rotations than there are factors (a bound, not a tolerance test).

    Raises
    ------
    ValueError
        If ``Y`` is not a finite square matrix.
    """
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim != 2 or Y.shape[0] != Y.shape[1] or Y.shape[0] < 2 or not np.all(np.isfinite(Y)):
        raise ValueError(f"Y must be a finite (d+1, d+1) matrix with d >= 1; got shape {Y.shape}")
    d = Y.shape[0] - 1
    e, P = np.linalg.eigh((Y + Y.T) / 2)
    keep = e > np.finfo(np.float64).eps * max(1.0, float(np.abs(e).max())) * Y.shape[0]
    active = list((P[:, keep] * np.sqrt(e[keep])).T)
    finished = []
    sign = np.ones(d + 1)
    sign[d] = -1.0

    def form(p: NDArray[np.float64]) -> float:
        return float(p @ (sign * p))

    tol = np.finfo(np.float64).eps * max(1.0, float(np.trace(np.abs(Y)))) * 16
    for _ in range(len(active)):
        values = np.array([form(p) for p in active])
        positive, negative = np.flatnonzero(values > tol), np.flatnonzero(values < -tol)
        if positive.size == 0 or negative.size == 0:
            break
        i, j = int(positive[0]), int(negative[0])
        p, q = active[i], active[j]
        alpha = rotation_root(values[j], 2 * float(p @ (sign * q)), values[i])
        norm = np.sqrt(1 + alpha * alpha)
        finished.append((p + alpha * q) / norm)
        active[j] = (q - alpha * p) / norm
        del active[i]
    F = np.array(finished + active).T.reshape(d + 1, -1)
    tau = F[d]
    nonzero = np.abs(tau) > np.sqrt(tol)
    return F[:d, nonzero] / tau[nonzero], tau[nonzero] ** 2
