r"""Each (generator, critic) pairing solved by its closed form or its CVXPY program, recovered and certified.

Every function here has the registry signature of :mod:`convexgan.duality.programs`::

    fn(X, *, Z, beta, k, solver, m, **params) -> Solution

with ``X`` (n, d) float64 and validated, ``Z`` (m, d_z) float64 or None, ``beta`` > 0 resolved from ``k`` when
``k`` was given, ``m`` the number of samples the free generator returns.

Dual bounds in the certificates (each a certified lower bound on the optimal value; the solver's dual variables
are made dual-feasible first, :mod:`convexgan.duality.certify`):

- linear critic (``D(x) = v u^T x``): :math:`v\, u^T \mu_X - \beta v - v^2 c \|u\|^2 / 4`, the Lagrangian dual
  function, with :math:`c = 1` (free) or :math:`c = \|\mu_Z\|^2` (linear generator);
- quadratic critic, free generator: :math:`\langle A, S_X \rangle - \beta \|A\|_*` with
  :math:`\lambda_{\max}(A) \le 1` (for the closed form :math:`A = V_k V_k^T`);
- quadratic critic, linear generator: the bound :math:`\sum_{i \le k} (\lambda_i - \beta) / s_i^2`, valid for
  every feasible ``W`` (Weyl: :math:`\lambda_i(S_G) \ge \lambda_i - \beta`; von Neumann:
  :math:`\|W\|_F^2 \ge \sum_i \lambda_i(S_G) / s_i^2`);
- polynomial critic, free generator: the dual objective of the S-lemma SDP
  (:func:`convexgan.duality.certify.polynomial_critic_dual`).

CVXPY results are labelled from evidence (:func:`convexgan.duality.certify.evidence`): solver status, the
measured violation of (C) and the certified gap. Moments returned by a solver are factored into samples or weights
with the rank tolerance of that solver (``certificate["rank_tolerance"]``). The closed forms work in the span of
the data when ``n < d`` (:func:`convexgan.duality.closed_form.moment_spectrum`): no ``d x d`` matrix is
decomposed.

The optimal critic of the linear generator is the lifted program's (:ref:`theory-linear-generator`:
:math:`D^*(x) = \|V_k^T x\|^2` for the quadratic critic).
"""

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from convexgan.duality import closed_form as cf
from convexgan.duality.certificate import EXACT
from convexgan.duality.certify import linear_critic_dual, polynomial_critic_dual, quadratic_critic_dual
from convexgan.duality.critics import Critic, check_polynomial, moments, neurons_from_moment_matrix
from convexgan.duality.generators import min_norm_weights, realize_moments, recover_samples
from convexgan.duality.lifted import mean_program, polynomial_program, second_moment_program
from convexgan.duality.solution import Solution, make_solution
from convexgan.duality.solvers import rank_tolerance, refuse_large_sdp

MOMENTS_CLAIM = "moments optimal for tr(S_G); ||W||_F^2 not certified minimal"


def _closed_form_run(start: float) -> dict[str, Any]:
    """The run record of a closed form started at ``time.perf_counter()`` ``start``."""
    return {"solver": "closed_form", "status": "optimal", "iterations": 0, "seconds": time.perf_counter() - start}


def _unit(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``x / ||x||``, or the first unit vector when ``x`` is zero."""
    norm = float(np.linalg.norm(x))
    if norm == 0:
        e = np.zeros_like(x)
        e[0] = 1.0
        return e
    return x / norm


def _quadratic_critic(A: NDArray[np.float64]) -> Critic:
    """The quadratic critic of the symmetric matrix ``A``: its eigenpairs above rounding as neurons and weights."""
    e, U = cf.eigh_descending(A)
    keep = np.abs(e) > 1e-9 * max(1.0, float(np.abs(e).max()))
    return Critic("quadratic", U[:, keep], e[keep])


def _polynomial_critic(Y_plus: NDArray[np.float64], Y_minus: NDArray[np.float64], a: float, b: float, c: float) -> Critic:
    """The polynomial critic of the S-lemma dual matrices: their neurons, with weights of opposite signs."""
    U_p, w_p = neurons_from_moment_matrix(Y_plus)
    U_m, w_m = neurons_from_moment_matrix(Y_minus)
    return Critic("polynomial", np.hstack([U_p, U_m]), np.concatenate([w_p, -w_m]), a=a, b=b, c=c)


def _free_m(X: NDArray[np.float64], m: int | None) -> int:
    """``m``, by default ``n``, or ``n + 1`` when ``n <= d`` (zero-mean samples of rank ``n`` need ``n + 1`` rows)."""
    if m is not None:
        return m
    n, d = X.shape
    return n + 1 if n <= d else n


def free_linear_closed_form(X: NDArray[np.float64], *, Z: None, beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Free generator, linear critic: :math:`\mu_G = \mu_X (1 - \beta / \|\mu_X\|)_+`, all samples equal."""
    start = time.perf_counter()
    mu_X = X.mean(axis=0)
    mu = cf.linear_critic_mean(mu_X, beta)
    G = np.tile(mu, (_free_m(X, m), 1))
    u, v = _unit(mu_X), 2 * float(np.linalg.norm(mu))
    dual = linear_critic_dual(u, v, mu_X, beta, 1.0)
    critic = Critic("linear", u[:, None], [v])
    return make_solution(
        X, G, W=None, value=float(mu @ mu), critic=critic, critic_name="linear", params={}, beta=beta, k=None,
        generator="free", method="closed_form", dual=dual, run=_closed_form_run(start), optimality=EXACT,
    )


def free_linear_cvxpy(X: NDArray[np.float64], *, Z: None, beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Free generator, linear critic by the SOCP :math:`\min \|\mu\|^2 \text{ s.t. } \|\mu_X - \mu\| \le \beta`."""
    mu_X = X.mean(axis=0)
    mu, v, run = mean_program(mu_X, beta, solver)
    G = np.tile(mu, (_free_m(X, m), 1))
    u = _unit(mu_X - mu)
    dual = linear_critic_dual(u, v, mu_X, beta, 1.0)
    critic = Critic("linear", u[:, None], [v])
    return make_solution(
        X, G, W=None, value=float(mu @ mu), critic=critic, critic_name="linear", params={}, beta=beta, k=None,
        generator="free", method="cvxpy", dual=dual, run=run, optimality=EXACT, objective_scale=float(mu_X @ mu_X),
    )


def free_quadratic_closed_form(X: NDArray[np.float64], *, Z: None, beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Free generator, quadratic critic: :math:`S_G = (S_X - \beta I)_+`, critic :math:`\|V_k^T x\|^2`.

    The samples have zero mean: the quadratic critic does not see the mean and :math:`\operatorname{tr} S_G` is
    smallest with :math:`\mu_G = 0`. They are recovered in the basis :math:`V_k` (``G = G_k V_k^T`` with
    :math:`G_k^T G_k / m = \operatorname{diag}(\lambda_k - \beta)`), so no ``d x d`` matrix is decomposed.
    """
    start = time.perf_counter()
    lam, V = cf.moment_spectrum(X)
    kept = int(np.count_nonzero(lam > beta))
    Vk = V[:, :kept]
    G = recover_samples(np.diag(lam[:kept] - beta), np.zeros(kept), _free_m(X, m)) @ Vk.T
    dual = float(np.sum(lam[:kept]) - beta * kept)
    critic = Critic("quadratic", Vk, np.ones(kept))
    return make_solution(
        X, G, W=None, value=float(np.sum(G * G) / G.shape[0]), critic=critic, critic_name="quadratic",
        params={}, beta=beta, k=kept, generator="free", method="closed_form", dual=dual,
        run=_closed_form_run(start), optimality=EXACT,
    )


def free_quadratic_cvxpy(X: NDArray[np.float64], *, Z: None, beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Free generator, quadratic critic by the SDP :math:`\min \operatorname{tr} M` s.t. the two LMIs."""
    refuse_large_sdp(X.shape[1], closed_form=True)
    S_X = cf.second_moment(X)
    M, Y_plus, Y_minus, run = second_moment_program(S_X, beta, solver)
    rtol = rank_tolerance(run["solver"])
    G = recover_samples(M, np.zeros(X.shape[1]), _free_m(X, m), rtol=rtol, scale=float(np.trace(S_X)))
    return make_solution(
        X, G, W=None, value=float(np.sum(G * G) / G.shape[0]), critic=_quadratic_critic(Y_plus - Y_minus),
        critic_name="quadratic", params={}, beta=beta, k=cf.k_from_beta(X, beta), generator="free", method="cvxpy",
        dual=quadratic_critic_dual(Y_plus - Y_minus, S_X, beta), run=run, optimality=EXACT,
        objective_scale=float(np.trace(S_X)), extra={"rank_tolerance": rtol},
    )


def free_polynomial_cvxpy(X: NDArray[np.float64], *, Z: None, beta: float, k: int | None, solver: str | None, m: int | None, a: float, b: float, c: float) -> Solution:
    r"""Free generator, polynomial critic by the lifted S-lemma SDP (no closed form).

    .. math::  \min_{M, g, \ell_\pm \ge 0} \operatorname{tr} M \ \text{s.t.}\
               \begin{bmatrix} M & g \\ g^T & 1 \end{bmatrix} \succeq 0,\
               \begin{bmatrix} \ell_\pm I \mp a D_2 & \mp \tfrac b2 D_1 \\ \mp \tfrac b2 D_1^T & \beta - \ell_\pm
               \end{bmatrix} \succeq 0,\ D_2 = S_X - M,\ D_1 = \mu_X - g.
    """
    a, b = check_polynomial(a, b, c)
    refuse_large_sdp(X.shape[1], closed_form=False)
    mu_X, S_X = moments(X)
    M, g, Y_plus, Y_minus, run = polynomial_program(mu_X, S_X, beta, a, b, solver)
    rtol = rank_tolerance(run["solver"])
    G = recover_samples(M, g, _free_m(X, m), rtol=rtol, scale=float(np.trace(S_X)))
    return make_solution(
        X, G, W=None, value=float(np.sum(G * G) / G.shape[0]), critic=_polynomial_critic(Y_plus, Y_minus, a, b, c),
        critic_name="polynomial", params={"a": a, "b": b, "c": c}, beta=beta, k=None, generator="free",
        method="cvxpy", dual=polynomial_critic_dual(Y_plus, Y_minus, mu_X, S_X, beta, a, b), run=run,
        optimality=EXACT, objective_scale=float(np.trace(S_X)), extra={"rank_tolerance": rtol},
    )


def linear_linear_closed_form(X: NDArray[np.float64], *, Z: NDArray[np.float64], beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Linear generator, linear critic: :math:`W^* = \mu_Z \mu_X^T (1 - \beta / \|\mu_X\|)_+ / \|\mu_Z\|^2`."""
    start = time.perf_counter()
    mu_X, mu_Z = X.mean(axis=0), Z.mean(axis=0)
    W = cf.linear_critic_weights(mu_X, mu_Z, beta)
    c = float(mu_Z @ mu_Z)
    u = _unit(mu_X)
    v = 2 * float(np.linalg.norm(W.T @ mu_Z)) / c if c > 0 else 0.0
    return make_solution(
        X, Z @ W, W=W, value=float(np.sum(W * W)), critic=Critic("linear", u[:, None], [v]), critic_name="linear",
        params={}, beta=beta, k=None, generator="linear", method="closed_form",
        dual=linear_critic_dual(u, v, mu_X, beta, c), run=_closed_form_run(start), optimality=EXACT,
    )


def linear_linear_cvxpy(X: NDArray[np.float64], *, Z: NDArray[np.float64], beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Linear generator, linear critic, by the SOCP.

    .. math::  \min_W \|W\|_F^2 \quad \text{s.t.} \quad \|\mu_X - W^T \mu_Z\|_2 \le \beta .
    """
    mu_X, mu_Z = X.mean(axis=0), Z.mean(axis=0)
    cf.check_mean_feasible(mu_X, mu_Z, beta)
    W, v, run = mean_program(mu_X, beta, solver, mu_Z=mu_Z)
    u = _unit(mu_X - W.T @ mu_Z)
    c = float(mu_Z @ mu_Z)
    return make_solution(
        X, Z @ W, W=W, value=float(np.sum(W * W)), critic=Critic("linear", u[:, None], [v]), critic_name="linear",
        params={}, beta=beta, k=None, generator="linear", method="cvxpy",
        dual=linear_critic_dual(u, v, mu_X, beta, c), run=run, optimality=EXACT,
        objective_scale=float(mu_X @ mu_X) / c if c > 0 else 0.0,
    )


def _spectra(X: NDArray[np.float64], Z: NDArray[np.float64], beta: float) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], int]:
    """Spectra of ``S_X`` and ``S_Z`` and the kept count, after checking that ``Z`` has the rank ``beta`` needs."""
    lam, V = cf.moment_spectrum(X)
    s2, Q = cf.moment_spectrum(Z)
    cf.check_rank_feasible(lam, cf.numerical_rank(s2, max(Z.shape)), beta)
    return lam, V, s2, Q, int(np.count_nonzero(lam > beta))


def linear_quadratic_closed_form(X: NDArray[np.float64], *, Z: NDArray[np.float64], beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Linear generator, quadratic critic (ProCoGAN stage), :ref:`theory-linear-generator`.

    .. math::  \min_W \|W\|_F^2 \ \text{s.t.}\ \|S_X - W^T S_Z W\|_2 \le \beta, \qquad
               W^* = Q_k \operatorname{diag}\big(\sqrt{(\lambda_k - \beta) / s_k^2}\big) V_k^T,

    with dual bound :math:`\sum_{i \le k} (\lambda_i - \beta) / s_i^2` (Weyl / von Neumann) and critic
    :math:`\|V_k^T x\|^2`. Both spectra come from :func:`convexgan.duality.closed_form.moment_spectrum` (thin SVDs
    when ``n < d`` or ``m < d_z``).
    """
    start = time.perf_counter()
    lam, V, s2, Q, kept = _spectra(X, Z, beta)
    W = cf.quadratic_critic_weights(lam[:kept], V[:, :kept], s2[:kept], Q[:, :kept], beta)
    return make_solution(
        X, Z @ W, W=W, value=float(np.sum(W * W)), critic=Critic("quadratic", V[:, :kept], np.ones(kept)),
        critic_name="quadratic", params={}, beta=beta, k=kept, generator="linear", method="closed_form",
        dual=cf.quadratic_critic_value(lam[:kept], s2[:kept], beta), run=_closed_form_run(start), optimality=EXACT,
    )


def linear_quadratic_cvxpy(X: NDArray[np.float64], *, Z: NDArray[np.float64], beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Linear generator, quadratic critic: the lifted SDP in :math:`S_G`, then the minimum-norm ``W``.

    Exact: the lifted optimum :math:`(S_X - \beta I)_+` is the smallest feasible second moment in every
    eigenvalue, and the minimum-norm :math:`\|W\|_F^2 = \sum_i \lambda_i(S_G) / s_i^2` increases with each.
    """
    refuse_large_sdp(X.shape[1], closed_form=True)
    lam, _, s2, _, kept = _spectra(X, Z, beta)
    M, Y_plus, Y_minus, run = second_moment_program(cf.second_moment(X), beta, solver)
    rtol = rank_tolerance(run["solver"])
    W = min_norm_weights(M, Z, rtol=rtol, scale=float(np.sum(lam)))
    return make_solution(
        X, Z @ W, W=W, value=float(np.sum(W * W)), critic=_quadratic_critic(Y_plus - Y_minus),
        critic_name="quadratic", params={}, beta=beta, k=kept, generator="linear", method="cvxpy",
        dual=cf.quadratic_critic_value(lam[:kept], s2[:kept], beta), run=run, optimality=EXACT,
        objective_scale=float(np.sum(lam)) / float(s2[0]), extra={"rank_tolerance": rtol},
    )


def linear_polynomial_cvxpy(X: NDArray[np.float64], *, Z: NDArray[np.float64], beta: float, k: int | None, solver: str | None, m: int | None, a: float, b: float, c: float) -> Solution:
    r"""Linear generator, polynomial critic: the lifted S-lemma SDP, then a ``W`` realising its moments.

    The lifted program minimises :math:`\operatorname{tr} S_G` (:math:`R_g = \|ZW\|_F^2 / m`), not
    :math:`\|W\|_F^2`: the returned ``W`` meets (C) and its moments are optimal for :math:`\operatorname{tr} S_G`
    (the claim checked, against the lifted program's certified dual, ``certificate["moments_dual"]``), but
    :math:`\|W\|_F^2` is not certified minimal (``dual`` is None).
    """
    a, b = check_polynomial(a, b, c)
    refuse_large_sdp(X.shape[1], closed_form=False)
    mu_X, S_X = moments(X)
    M, g, Y_plus, Y_minus, run = polynomial_program(mu_X, S_X, beta, a, b, solver)
    rtol = rank_tolerance(run["solver"])
    W = realize_moments(Z, M, g, rtol=rtol, scale=float(np.trace(S_X)))
    G = Z @ W
    moments_primal = float(np.sum(G * G) / G.shape[0])
    moments_dual = polynomial_critic_dual(Y_plus, Y_minus, mu_X, S_X, beta, a, b)
    return make_solution(
        X, G, W=W, value=float(np.sum(W * W)), critic=_polynomial_critic(Y_plus, Y_minus, a, b, c),
        critic_name="polynomial", params={"a": a, "b": b, "c": c}, beta=beta, k=None, generator="linear",
        method="cvxpy", dual=None, run=run, optimality=MOMENTS_CLAIM, objective_scale=float(np.trace(S_X)),
        checked=(moments_primal, moments_dual),
        extra={"rank_tolerance": rtol, "moments_primal": moments_primal, "moments_dual": moments_dual},
    )
