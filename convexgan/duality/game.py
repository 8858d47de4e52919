r"""The quadratic-critic WGAN as a convex-concave game, solved by extragradient with a duality-gap certificate.

Lifted over the generated second moment :math:`S = S_G` and the critic :math:`A = \sum_j v_j u_j u_j^T`
(:ref:`theory-critic-to-constraint`, :ref:`theory-free-generator`, :ref:`theory-certificates`), the WGAN with free
generator :math:`R_g = \operatorname{tr} S` is the saddle problem

.. math::

    \min_{S \in \mathcal C} \max_{A \in \mathcal B}
    L(S, A) = \operatorname{tr} S + \langle A, S_X - S \rangle - \beta \|A\|_*,
    \qquad \mathcal C = \{S \succeq 0,\ \operatorname{tr} S \le \tau\},
    \quad \mathcal B = \{A = A^T,\ \|A\|_2 \le \rho\}.

Both sets are compact, so the duality gap of any pair is finite and computable in closed form from eigenvalues:

.. math::

    \operatorname{gap}(S, A) = \max_{A' \in \mathcal B} L(S, A') - \min_{S' \in \mathcal C} L(S', A)
    = \Big[\operatorname{tr} S + \rho \sum_i (|\delta_i| - \beta)_+\Big]
      - \Big[\langle A, S_X \rangle - \beta \|A\|_* - \tau\, (\lambda_{\max}(A) - 1)_+\Big],

with :math:`\delta = \operatorname{eig}(S_X - S)`. The bound :math:`\rho` on the critic is ours: without it the
first bracket is :math:`+\infty` at every :math:`S` that violates (C). For :math:`\rho > 1` it changes nothing:
the saddle point is :math:`S^* = (S_X - \beta I)_+` (when :math:`\tau \ge \operatorname{tr} S^*`) and
:math:`A^* = V_k V_k^T`, the top-:math:`k` eigenprojector of :math:`S_X` (the closed-form critic of
:ref:`theory-linear-generator`, unit weights), because :math:`\|A^*\|_2 = 1 < \rho` and :math:`I - A^* \succeq 0` with
:math:`\langle I - A^*, S^* \rangle = 0`.

Extragradient (Korpelevich; mirror-prox with the Euclidean geometry), with :math:`\Pi_{\mathcal C}` the
projection and :math:`\operatorname{prox}` the proximal map of :math:`\eta \beta \|A\|_* + \iota_{\mathcal B}`
(soft-threshold the eigenvalues by :math:`\eta \beta`, clip them to :math:`[-\rho, \rho]`):

.. math::

    S' = \Pi_{\mathcal C}(S - \eta (I - A)), \quad A' = \operatorname{prox}(A + \eta (S_X - S)), \\
    S \leftarrow \Pi_{\mathcal C}(S - \eta (I - A')), \quad A \leftarrow \operatorname{prox}(A + \eta (S_X - S')),

converges for :math:`\eta < 1` (the coupling is 1-Lipschitz). Plain simultaneous gradient descent-ascent (the
first half-step only) rotates around the saddle point instead on this bilinear game.
"""

import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from tqdm.auto import tqdm

from convexgan._validation import as_samples, check_choice, check_int, check_positive
from convexgan.duality.closed_form import second_moment

METHODS = ("extragradient", "gda")


@dataclass(frozen=True)
class GameResult:
    """Iterates and certificate of a first-order solve of the lifted quadratic-critic game.

    Attributes
    ----------
    S : ndarray (d, d)
        Generated second moment (last iterate).
    A : ndarray (d, d)
        Critic matrix (last iterate); its eigenpairs are the critic's neurons and weights.
    gaps : ndarray (iterations,)
        Duality gap of the iterate after each iteration.
    converged : bool
        Whether the gap reached ``tol * tr(S_X)``.
    method : str
        ``"extragradient"`` or ``"gda"``.
    iterations : int
    seconds : float
    tau, rho : float
        The bounds of the generator and critic sets.
    """

    S: NDArray[np.float64]
    A: NDArray[np.float64]
    gaps: NDArray[np.float64]
    converged: bool
    method: str
    iterations: int
    seconds: float
    tau: float
    rho: float

    @property
    def gap(self) -> float:
        """The last duality gap."""
        return float(self.gaps[-1])


def _symmetric_eig(M: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Eigenpairs (ascending) of the symmetric part of ``M``."""
    return np.linalg.eigh((M + M.T) / 2)


def project_bounded_psd(S: NDArray[np.float64], tau: float) -> NDArray[np.float64]:
    r"""Euclidean projection onto :math:`\{S \succeq 0, \operatorname{tr} S \le \tau\}`.

    The eigenvalues :math:`\lambda` of :math:`S` are projected onto :math:`\{x \ge 0, \sum x \le \tau\}`:
    :math:`x = (\lambda - \theta)_+` with :math:`\theta = 0` if that sums to at most :math:`\tau`, otherwise the
    :math:`\theta > 0` that makes the sum :math:`\tau` (simplex projection).
    """
    lam, V = _symmetric_eig(S)
    x = np.maximum(lam, 0.0)
    if x.sum() > tau:
        mu = np.sort(lam)[::-1]
        cumulative = np.cumsum(mu) - tau
        index = np.arange(1, mu.size + 1)
        last = np.flatnonzero(mu - cumulative / index > 0)[-1]
        x = np.maximum(lam - cumulative[last] / (last + 1), 0.0)
    return (V * x) @ V.T


def prox_critic(A: NDArray[np.float64], threshold: float, rho: float) -> NDArray[np.float64]:
    r"""Proximal map of :math:`t \|A\|_* + \iota\{\|A\|_2 \le \rho\}` on symmetric matrices: eigenvalues
    soft-thresholded by ``threshold`` :math:`= t`, then clipped to :math:`[-\rho, \rho]`."""
    lam, V = _symmetric_eig(A)
    x = np.clip(np.sign(lam) * np.maximum(np.abs(lam) - threshold, 0.0), -rho, rho)
    return (V * x) @ V.T


def duality_gap(S: NDArray[np.float64], A: NDArray[np.float64], S_X: NDArray[np.float64], beta: float, tau: float, rho: float) -> float:
    r"""The duality gap of :math:`(S, A)` for the bounded game (module docstring); zero exactly at saddle points.

    Returns
    -------
    float
        :math:`\max_{A'} L(S, A') - \min_{S'} L(S', A) \ge 0`.
    """
    delta = np.linalg.eigvalsh((S_X - S + (S_X - S).T) / 2)
    primal = np.trace(S) + rho * np.sum(np.maximum(np.abs(delta) - beta, 0.0))
    alpha = np.linalg.eigvalsh((A + A.T) / 2)
    dual = np.sum(A * S_X) - beta * np.abs(alpha).sum() - tau * max(alpha[-1] - 1.0, 0.0)
    return float(primal - dual)


def solve_game(X: ArrayLike, beta: float, *, method: str = "extragradient", tau: float | None = None,
               rho: float = 2.0, step: float = 0.5, max_iter: int = 5000, tol: float = 1e-8,
               progress: bool = False) -> GameResult:
    r"""First-order solve of the lifted quadratic-critic game, reporting the duality gap at every iteration.

    Parameters
    ----------
    X : array-like (n, d)
        Real samples; the game uses :math:`S_X = X^T X / n`.
    beta : float > 0
        Critic regularisation.
    method : {"extragradient", "gda"}
        Extragradient converges; simultaneous gradient descent-ascent (``"gda"``, the same steps without the
        extrapolation) is provided to show that it does not.
    tau : float, optional
        Trace bound of the generator set (default :math:`\operatorname{tr} S_X \ge \operatorname{tr} S^*`).
    rho : float > 1
        Spectral bound of the critic set (any value above 1 leaves the saddle point unchanged).
    step : float
        Step size :math:`\eta` (extragradient needs :math:`\eta < 1`).
    max_iter : int
        Iteration limit.
    tol : float
        Stop when the duality gap is at most ``tol * tr(S_X)`` (relative, so that the result does not depend on
        the data's scale).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    GameResult
        Starts from :math:`S = 0`, :math:`A = 0`. The iterations run on the game divided by
        :math:`\sigma = \operatorname{tr} S_X` (:math:`S_X, S, \beta, \tau` scaled by :math:`1/\sigma`, ``A``
        unchanged), which multiplies :math:`L` by :math:`1/\sigma` and leaves the saddle point's critic as it
        is; ``S`` and the gaps are returned in the data's units.
    """
    start = time.perf_counter()
    samples = as_samples(X, "X")
    beta = check_positive(beta, "beta")
    method = check_choice(method, "method", METHODS)
    rho = check_positive(rho, "rho")
    if rho <= 1.0:
        raise ValueError(f"rho={rho!r} must be > 1 (the optimal critic has spectral norm 1)")
    step = check_positive(step, "step")
    max_iter = check_int(max_iter, "max_iter", 1, 10**8)
    tol = check_positive(tol, "tol")
    S_X = second_moment(samples)
    scale = float(np.trace(S_X))
    if scale == 0.0:
        raise ValueError("X must have a nonzero entry; got all-zero samples (the optimum is G = 0)")
    tau = scale if tau is None else check_positive(tau, "tau")
    S, A, scaled_gaps = _iterate(S_X / scale, beta / scale, tau / scale, rho, step, max_iter, tol, method, progress)
    gaps = scale * np.array(scaled_gaps)
    return GameResult(
        scale * S, A, gaps, bool(gaps[-1] <= tol * scale), method, gaps.size, time.perf_counter() - start, tau, rho
    )


def _iterate(S_X: NDArray[np.float64], beta: float, tau: float, rho: float, step: float, max_iter: int, tol: float,
             method: str, progress: bool) -> tuple[NDArray[np.float64], NDArray[np.float64], list[float]]:
    """Run ``method`` from ``S = A = 0`` on the normalised game; return the last ``(S, A)`` and the gaps.

    Stops after ``max_iter`` iterations or when the duality gap is at most ``tol``.
    """
    d = S_X.shape[0]
    identity = np.eye(d)
    S, A = np.zeros((d, d)), np.zeros((d, d))
    gaps: list[float] = []
    for _ in tqdm(range(max_iter), desc=f"game ({method})", disable=not progress):
        S_half = project_bounded_psd(S - step * (identity - A), tau)
        A_half = prox_critic(A + step * (S_X - S), step * beta, rho)
        if method == "extragradient":
            S, A = (
                project_bounded_psd(S - step * (identity - A_half), tau),
                prox_critic(A + step * (S_X - S_half), step * beta, rho),
            )
        else:
            S, A = S_half, A_half
        gaps.append(duality_gap(S, A, S_X, beta, tau, rho))
        if gaps[-1] <= tol:
            break
    return S, A, gaps
