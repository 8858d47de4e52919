r"""The convex programs in CVXPY, built from moments computed in numpy (THEORY sections 1 and 3).

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
:func:`convexgan.duality.solvers.run`.
"""

import numpy as np

from convexgan._extras import cvxpy as cp
from convexgan.duality import solvers


def mean_program(mu_X, beta, solver, mu_Z=None):
    """Solve the linear-critic SOCP; return ``(x, multiplier, run)``.

    ``x`` is the optimal mean (d,) when ``mu_Z`` is None, else the optimal ``W`` (d_z, d); ``multiplier`` is the
    dual variable of the norm constraint (the critic's output weight).
    """
    d = mu_X.size
    if mu_Z is None:
        x = cp.Variable(d)
        mean = x
    else:
        x = cp.Variable((mu_Z.size, d))
        mean = x.T @ mu_Z
    constraint = cp.norm(mu_X - mean, 2) <= beta
    problem = cp.Problem(cp.Minimize(cp.sum_squares(x)), [constraint])
    run = solvers.run(problem, solver, "SOCP")
    return np.asarray(x.value), float(constraint.dual_value), run


def _sym(Y):
    Y = np.asarray(Y, dtype=np.float64)
    return (Y + Y.T) / 2


def second_moment_program(S_X, beta, solver):
    """Solve the quadratic-critic SDP; return ``(M, Y_plus, Y_minus, run)``.

    ``Y_plus``, ``Y_minus`` (d, d) are the dual matrices of the two LMIs; the optimal critic is
    :math:`D(x) = x^T (Y_+ - Y_-) x`.
    """
    d = S_X.shape[0]
    M = cp.Variable((d, d), symmetric=True)
    eye = np.eye(d)
    upper = beta * eye - S_X + M >> 0
    lower = beta * eye + S_X - M >> 0
    problem = cp.Problem(cp.Minimize(cp.trace(M)), [upper, lower, M >> 0])
    run = solvers.run(problem, solver, "SDP")
    return _sym(M.value), _sym(upper.dual_value), _sym(lower.dual_value), run


def polynomial_program(mu_X, S_X, beta, a, b, solver):
    """Solve the polynomial-critic SDP; return ``(M, g, Y_plus, Y_minus, y_K, run)``.

    ``Y_plus``, ``Y_minus`` ((d+1), (d+1)) are the dual matrices of the two S-lemma LMIs and ``y_K`` the corner
    entry of the dual of :math:`K \\succeq 0` (it enters the dual objective).
    """
    d = S_X.shape[0]
    M = cp.Variable((d, d), symmetric=True)
    g = cp.Variable((d, 1))
    l_plus, l_minus = cp.Variable(nonneg=True), cp.Variable(nonneg=True)
    eye = np.eye(d)
    D2 = S_X - M
    D1 = mu_X[:, None] - g
    one = np.ones((1, 1))
    K = cp.bmat([[M, g], [g.T, one]])
    corner_plus = cp.reshape(beta - l_plus, (1, 1), order="C")
    corner_minus = cp.reshape(beta - l_minus, (1, 1), order="C")
    lmi_plus = cp.bmat([[l_plus * eye - a * D2, -(b / 2) * D1], [-(b / 2) * D1.T, corner_plus]])
    lmi_minus = cp.bmat([[l_minus * eye + a * D2, (b / 2) * D1], [(b / 2) * D1.T, corner_minus]])
    plus, minus, lifted = lmi_plus >> 0, lmi_minus >> 0, K >> 0
    problem = cp.Problem(cp.Minimize(cp.trace(M)), [plus, minus, lifted])
    run = solvers.run(problem, solver, "SDP")
    y_K = float(np.asarray(lifted.dual_value)[d, d])
    return _sym(M.value), np.asarray(g.value).reshape(d), _sym(plus.dual_value), _sym(minus.dual_value), y_K, run
