r"""The convex programs in CVXPY, built from moments computed in numpy (:ref:`theory-critic-to-constraint`,
:ref:`theory-free-generator`).

Every expression is vectorised and of size ``d`` or ``d x d``: no sample enters a program.

- :func:`mean_program` (SOCP, linear critic):
  :math:`\min \|W\|_F^2 \text{ s.t. } \|\mu_X - W^T \mu_Z\|_2 \le \beta` (``mu_Z=None``: the free generator,
  :math:`\min \|\mu\|^2 \text{ s.t. } \|\mu_X - \mu\|_2 \le \beta`).
- :func:`second_moment_program` (SDP, quadratic critic):
  :math:`\min \operatorname{tr} M \text{ s.t. } \beta I - S_X + M \succeq 0,\; \beta I + S_X - M \succeq 0,\;
  M \succeq 0` (the two LMIs of :math:`\|S_X - M\|_2 \le \beta`).
- :func:`polynomial_program` (SDP, polynomial critic, S-lemma):
  :math:`\min \operatorname{tr} M` over :math:`K = [[M, g], [g^T, 1]] \succeq 0`, :math:`\ell_\pm \ge 0` with

  .. math::  \begin{bmatrix} \ell_+ I - a D_2 & -\tfrac b2 D_1 \\ -\tfrac b2 D_1^T & \beta - \ell_+ \end{bmatrix}
             \succeq 0, \qquad
             \begin{bmatrix} \ell_- I + a D_2 & \tfrac b2 D_1 \\ \tfrac b2 D_1^T & \beta - \ell_- \end{bmatrix}
             \succeq 0, \qquad D_2 = S_X - M,\; D_1 = \mu_X - g .

Each returns the primal solution, the dual variables the optimal critic is read from, and the run record of
:func:`convexgan.duality.solvers.run`, all in the units of the data.

Scale invariance
----------------
The solvers' tolerances are absolute on the scaled problem they see, so each program is built from normalised
data and its solution mapped back: with a data scale :math:`\sigma` (``X = \sigma X'``),

- :func:`mean_program`: :math:`\sigma = \|\mu_X\|` (or ``beta`` when it is 0) and :math:`\zeta = \|\mu_Z\|`;
  :math:`W = (\sigma / \zeta) W'`, multiplier :math:`v = (\sigma / \zeta^2) v'`;
- :func:`second_moment_program`: :math:`\sigma^2 = \|S_X\|_2`; :math:`M = \sigma^2 M'`, ``Y`` unchanged;
- :func:`polynomial_program`: :math:`\sigma^2 = \|S_X\|_2` and the constraint divided by
  :math:`t = \max(|a| \sigma^2 + |b| \sigma, \beta)` (:math:`a' = a \sigma^2 / t`, :math:`b' = b \sigma / t`,
  :math:`\beta' = \beta / t`; with :math:`\beta` far above the critic's scale the zero generator is feasible and
  :math:`\beta' = 1` keeps the LMIs' entries of order 1); :math:`M = \sigma^2 M'`, :math:`g = \sigma g'`,
  :math:`Y_\pm = (\sigma^2 / t) Y'_\pm`.

The program solved at data scale :math:`10^{-6}` or :math:`10^{6}` is then the one solved at scale 1 (up to
rounding), and so is the relative accuracy of its answer.
"""

from typing import Any, SupportsFloat

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._extras import cvxpy as cp
from convexgan.duality import solvers


def _positive_or(value: SupportsFloat, fallback: float) -> float:
    number = float(value)
    return number if number > 0 else float(fallback)


def mean_program(mu_X: NDArray[np.float64], beta: float, solver: str | None,
                 mu_Z: NDArray[np.float64] | None = None) -> tuple[NDArray[np.float64], float, dict[str, Any]]:
    """Solve the linear-critic SOCP on normalised data; return ``(x, multiplier, run)`` in the data's units.

    ``x`` is the optimal mean (d,) when ``mu_Z`` is None, else the optimal ``W`` (d_z, d); ``multiplier`` is the
    dual variable of the norm constraint (the critic's output weight).
    """
    d = mu_X.size
    sigma = _positive_or(np.linalg.norm(mu_X), beta)
    zeta = 1.0 if mu_Z is None else _positive_or(np.linalg.norm(mu_Z), 1.0)
    if mu_Z is None:
        x = cp.Variable(d)
        mean = x
    else:
        x = cp.Variable((mu_Z.size, d))
        mean = x.T @ (mu_Z / zeta)
    constraint = cp.norm(mu_X / sigma - mean, 2) <= beta / sigma
    problem = cp.Problem(cp.Minimize(cp.sum_squares(x)), [constraint])
    run = solvers.run(problem, solver, "SOCP")
    return (sigma / zeta) * np.asarray(x.value), (sigma / zeta**2) * float(constraint.dual_value), run


def _sym(Y: ArrayLike) -> NDArray[np.float64]:
    M = np.asarray(Y, dtype=np.float64)
    return (M + M.T) / 2


def second_moment_program(S_X: NDArray[np.float64], beta: float,
                          solver: str | None) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], dict[str, Any]]:
    """Solve the quadratic-critic SDP on normalised data; return ``(M, Y_plus, Y_minus, run)`` in the data's units.

    ``Y_plus``, ``Y_minus`` (d, d) are the dual matrices of the two LMIs; the optimal critic is
    :math:`D(x) = x^T (Y_+ - Y_-) x`.
    """
    d = S_X.shape[0]
    scale = _positive_or(np.linalg.eigvalsh(_sym(S_X))[-1], beta)
    S, b = S_X / scale, beta / scale
    M = cp.Variable((d, d), symmetric=True)
    eye = np.eye(d)
    upper = b * eye - S + M >> 0
    lower = b * eye + S - M >> 0
    problem = cp.Problem(cp.Minimize(cp.trace(M)), [upper, lower, M >> 0])
    run = solvers.run(problem, solver, "SDP")
    return scale * _sym(M.value), _sym(upper.dual_value), _sym(lower.dual_value), run


def polynomial_program(mu_X: NDArray[np.float64], S_X: NDArray[np.float64], beta: float, a: float, b: float,
                       solver: str | None) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], dict[str, Any]]:
    """Solve the polynomial-critic SDP on normalised data; return ``(M, g, Y_plus, Y_minus, run)`` in the data's
    units.

    ``Y_plus``, ``Y_minus`` ((d+1), (d+1)) are the dual matrices of the two S-lemma LMIs.
    """
    d = S_X.shape[0]
    sigma = np.sqrt(_positive_or(np.linalg.eigvalsh(_sym(S_X))[-1], 1.0))
    t = max(abs(a) * sigma**2 + abs(b) * sigma, beta)
    a_n, b_n, beta_n = a * sigma**2 / t, b * sigma / t, beta / t
    M = cp.Variable((d, d), symmetric=True)
    g = cp.Variable((d, 1))
    l_plus, l_minus = cp.Variable(nonneg=True), cp.Variable(nonneg=True)
    eye = np.eye(d)
    D2 = S_X / sigma**2 - M
    D1 = mu_X[:, None] / sigma - g
    one = np.ones((1, 1))
    K = cp.bmat([[M, g], [g.T, one]])
    corner_plus = cp.reshape(beta_n - l_plus, (1, 1), order="C")
    corner_minus = cp.reshape(beta_n - l_minus, (1, 1), order="C")
    lmi_plus = cp.bmat([[l_plus * eye - a_n * D2, -(b_n / 2) * D1], [-(b_n / 2) * D1.T, corner_plus]])
    lmi_minus = cp.bmat([[l_minus * eye + a_n * D2, (b_n / 2) * D1], [(b_n / 2) * D1.T, corner_minus]])
    plus, minus, lifted = lmi_plus >> 0, lmi_minus >> 0, K >> 0
    problem = cp.Problem(cp.Minimize(cp.trace(M)), [plus, minus, lifted])
    run = solvers.run(problem, solver, "SDP")
    weight = sigma**2 / t
    return (
        sigma**2 * _sym(M.value),
        sigma * np.asarray(g.value).reshape(d),
        weight * _sym(plus.dual_value),
        weight * _sym(minus.dual_value),
        run,
    )
