r"""Labels from evidence, and dual bounds made feasible before they are reported as lower bounds.

A solver's status alone proves nothing: SCS can report ``optimal`` with a gap that is large relative to a small
problem, and its dual variables are only approximately feasible. A CVXPY solve is therefore labelled with the
claim it makes (``"exact"``, or a weaker claim such as "moments optimal for tr S_G") only when

1. the solver reports ``optimal``;
2. the violation of (C), ``critic_gap(X, G) - beta`` measured from the returned samples without any solver, is at
   most ``VIOLATION_RTOL * max(beta, gap_0)``, with :math:`\text{gap}_0` the critic gap of :math:`G = 0` (the
   constraint's own scale);
3. ``|primal - dual|`` is at most ``GAP_RTOL * max(|primal|, objective scale)``, with ``dual`` a certified lower
   bound (below); a dual above the primal by more than that means the primal point is infeasible beyond rounding
   or the bound is wrong, and fails the check too.

Otherwise the label is ``"inaccurate: ..."`` (:data:`convexgan.duality.certificate.INACCURATE`) with the measured numbers, and :func:`convexgan.duality.solve` warns
with :class:`convexgan.exceptions.InaccurateSolutionWarning`.

Certified lower bounds (weak duality holds for every *feasible* dual point, so each is made feasible first):

- linear critic: the Lagrangian dual function :math:`v\, u^T \mu_X - \beta v - v^2 c \|u\|^2 / 4` is a lower
  bound for every :math:`v \ge 0`, :math:`\|u\| \le 1` (``v`` clipped at 0, ``u`` scaled into the ball);
- quadratic critic: :math:`\langle A, S_X \rangle - \beta \|A\|_*` for every symmetric ``A`` with
  :math:`\lambda_{\max}(A) \le 1` (:math:`Y_\pm = A_\pm`); the solver's :math:`Y_+ - Y_-` has its eigenvalues
  clipped at 1;
- polynomial critic: with :math:`Y_\pm = [[Y_{\pm,11}, y_\pm], [y_\pm^T, y_{\pm,0}]] \succeq 0`,
  :math:`\operatorname{tr} Y_{\pm,11} \le y_{\pm,0}` and :math:`B = I - a (Y_{+,11} - Y_{-,11}) \succ 0`,

  .. math::  a \langle Y_{+,11} - Y_{-,11}, S_X \rangle + b (y_+ - y_-)^T \mu_X - \beta (y_{+,0} + y_{-,0})
             - \tfrac{b^2}{4} (y_+ - y_-)^T B^{-1} (y_+ - y_-)

  is a lower bound (the last term is the least corner that makes the dual of :math:`K \succeq 0` PSD). The
  solver's :math:`Y_\pm` are projected onto the PSD cone, their corners raised to the trace, and scaled by
  :math:`t \le 1` until :math:`B \succ 0`; the best of a few ``t`` is kept.
"""

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan.duality.certificate import EXACT, INACCURATE

VIOLATION_RTOL = 1e-6
GAP_RTOL = 1e-6


def evidence(run: dict[str, Any], *, violation: float, constraint_scale: float, primal: float, dual: float | None,
             objective_scale: float, claim: str = EXACT) -> tuple[str, dict[str, float]]:
    """The certificate's label and the tolerances it was checked against.

    Parameters
    ----------
    run : dict
        The run record (``solver``, ``status``, ...).
    violation : float
        ``critic_gap(X, G) - beta`` measured from the returned samples.
    constraint_scale : float
        ``max(beta, gap_0)`` (units of beta).
    primal, dual : float
        The objective reached and a certified lower bound (``dual`` may be None: then no gap is checked).
    objective_scale : float
        The natural size of the objective (``tr S_X`` and the like), a floor for the gap tolerance.
    claim : str
        What the label says when every check passes.

    Returns
    -------
    optimality : str
        ``claim``, or ``"inaccurate: ..."`` with the measured numbers.
    tolerance : dict
        ``violation`` and ``gap``: the absolute tolerances used.
    """
    tolerance = {
        "violation": VIOLATION_RTOL * float(constraint_scale),
        "gap": GAP_RTOL * max(abs(float(primal)), float(objective_scale)),
    }
    failures: list[str] = []
    if run["status"] != "optimal":
        failures.append(f"solver status {run['status']!r}")
    if violation > tolerance["violation"]:
        failures.append(
            f"violation of (C) {violation:.3e} > {tolerance['violation']:.1e} "
            f"({VIOLATION_RTOL:g} x {constraint_scale:.3g})"
        )
    if dual is not None and abs(primal - dual) > tolerance["gap"]:
        failures.append(
            f"gap primal - dual = {primal - dual:.3e}, |gap| > {tolerance['gap']:.1e} (relative {GAP_RTOL:g})"
        )
    if not failures:
        return claim, tolerance
    return f"{INACCURATE}: {'; '.join(failures)} (claim not certified: {claim})", tolerance


def linear_critic_dual(u: ArrayLike, v: float, mu_X: NDArray[np.float64], beta: float, c: float) -> float:
    r"""Certified lower bound :math:`v\, u^T \mu_X - \beta v - v^2 c \|u\|^2 / 4` after :math:`v \leftarrow v_+`,
    :math:`u \leftarrow u / \max(1, \|u\|)`; ``c`` is 1 (free generator) or :math:`\|\mu_Z\|^2`."""
    v = max(float(v), 0.0)
    unit = np.asarray(u, dtype=np.float64)
    unit = unit / max(1.0, float(np.linalg.norm(unit)))
    return v * float(unit @ mu_X) - beta * v - v * v * c * float(unit @ unit) / 4


def quadratic_critic_dual(A: NDArray[np.float64], S_X: NDArray[np.float64], beta: float) -> float:
    r"""Certified lower bound :math:`\langle A', S_X \rangle - \beta \|A'\|_*`, ``A'`` = ``A`` with eigenvalues
    clipped at 1 (the dual feasibility :math:`Y_+ - Y_- \preceq I` of the quadratic-critic SDP)."""
    alpha, V = np.linalg.eigh((A + A.T) / 2)
    alpha = np.minimum(alpha, 1.0)
    return float(np.sum(alpha * np.einsum("ij,jk,ki->i", V.T, S_X, V)) - beta * np.abs(alpha).sum())


def _psd(Y: NDArray[np.float64]) -> NDArray[np.float64]:
    e, V = np.linalg.eigh((Y + Y.T) / 2)
    return (V * np.maximum(e, 0.0)) @ V.T


def _corner_at_least_trace(Y: NDArray[np.float64]) -> NDArray[np.float64]:
    d = Y.shape[0] - 1
    Y = Y.copy()
    Y[d, d] = max(Y[d, d], float(np.trace(Y[:d, :d])))
    return Y


def polynomial_critic_dual(Y_plus: NDArray[np.float64], Y_minus: NDArray[np.float64], mu_X: NDArray[np.float64],
                           S_X: NDArray[np.float64], beta: float, a: float, b: float) -> float:
    """Certified lower bound on the polynomial-critic SDP from approximate dual matrices (module docstring)."""
    d = S_X.shape[0]
    Y_plus, Y_minus = _corner_at_least_trace(_psd(Y_plus)), _corner_at_least_trace(_psd(Y_minus))
    Delta = Y_plus[:d, :d] - Y_minus[:d, :d]
    delta = Y_plus[:d, d] - Y_minus[:d, d]
    linear = a * float(np.sum(Delta * S_X)) + b * float(delta @ mu_X) - beta * float(Y_plus[d, d] + Y_minus[d, d])
    top = float(np.linalg.eigvalsh(a * (Delta + Delta.T) / 2)[-1])
    best = -np.inf
    for shrink in (0.0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2):
        t = 1.0 - shrink if top < 1.0 - shrink else (1.0 - shrink) / top
        mu, P = np.linalg.eigh(np.eye(d) - t * a * (Delta + Delta.T) / 2)
        if mu[0] <= 0:
            continue
        corner = (b * t / 2) ** 2 * float(np.sum((P.T @ delta) ** 2 / mu))
        best = max(best, t * linear - corner)
    return float(best)
