r"""Two-layer generators: the least-weight-decay network that maps the noise ``Z`` to given samples ``G*``.

Step (2) of :ref:`theory-two-layer` (step (1), the optimal samples from the critic side, is any solve of sections 2-3).
Both fits are convex programs in CVXPY; the recovered weights are checked by running the network on ``Z``.

**ReLU activation**, :math:`f(z) = \sum_j (z^T w_j)_+ a_j^T` with weight decay
:math:`\tfrac12 \sum_j (\|w_j\|^2 + \|a_j\|^2)`. Over the activation patterns :math:`D_i` of ``Z``
(:mod:`convexgan.duality.arrangements`):

- ``cone=True`` (exact): one neuron per pattern, output column and sign,

  .. math::

      \min \sum_{i, c} \|v_{ic}\| + \|u_{ic}\| \quad \text{s.t.} \quad
      G^*_{:, c} = \sum_i D_i Z (v_{ic} - u_{ic}), \quad (2 D_i - I) Z v_{ic} \ge 0, \ (2 D_i - I) Z u_{ic} \ge 0,

  which is the weight-decay problem (Pilanci and Ergen 2020) for the network whose hidden neurons each feed one
  output column (``d`` scalar-output networks side by side), exact when every pattern is enumerated;
- ``cone=False`` (gated relaxation): shared neurons per pattern,
  :math:`\min \sum_i \|V_i\|_*` s.t. :math:`G^* = \sum_i D_i Z V_i` (the group penalty is the nuclear norm,
  the least :math:`\sum_j \|w_j\| \|a_j\|` with :math:`\sum_j w_j a_j^T = V_i`, so the value is the
  recovered network's weight decay); the network is a *gated* ReLU network
  :math:`f(z) = \sum_j 1[h_j^T z \ge 0] (z^T w_j) a_j^T`, and a ReLU network only where every neuron's sign
  agrees with its gate (the fit reports which). Its value is a lower bound for the ReLU network with the same
  patterns.

**Quadratic activation**, :math:`f(z) = \sum_j (z^T w_j)^2 a_j^T` with weight decay
:math:`\tfrac12 \sum_j (\|w_j\|^4 + \|a_j\|^2)`, neurons feeding one output column each: column ``c`` is
:math:`\operatorname{diag}(Z M_c Z^T)` with :math:`M_c = \sum_j a_{jc} w_j w_j^T`, and

.. math::  \min \sum_c \|M_c\|_* \quad \text{s.t.} \quad \operatorname{diag}(Z M_c Z^T) = G^*_{:, c}

(an SDP with :math:`M_c = P_c - N_c`, :math:`P_c, N_c \succeq 0`); neurons are the eigenvectors of :math:`M_c`.
"""

import time
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._extras import cvxpy as cp, sparse as sp
from convexgan._validation import as_samples, check_positive
from convexgan.duality.arrangements import activation_patterns
from convexgan.exceptions import InaccurateSolutionWarning


@dataclass(frozen=True)
class TwoLayerGenerator:
    r"""A two-layer generator :math:`f(z) = \sum_j \sigma(z^T w_j) a_j^T` (optionally gated).

    Attributes
    ----------
    architecture : str
        ``"relu"`` (:math:`\sigma(t) = t_+`), ``"gated_relu"`` (:math:`1[h_j^T z \ge 0]\, z^T w_j`) or
        ``"quadratic"`` (:math:`\sigma(t) = t^2`).
    W1 : ndarray (d_z, h)
        First-layer weights :math:`w_j` as columns.
    W2 : ndarray (h, d)
        Second-layer weights :math:`a_j` as rows.
    gates : ndarray (d_z, h) or None
        Gate vectors :math:`h_j` of a gated ReLU network.
    """

    architecture: str
    W1: NDArray[np.float64]
    W2: NDArray[np.float64]
    gates: NDArray[np.float64] | None = None

    def __call__(self, Z: ArrayLike) -> NDArray[np.float64]:
        """Generated samples ``(m, d)`` for noise ``Z`` ``(m, d_z)``."""
        noise = as_samples(Z, "Z")
        H = noise @ self.W1
        if self.architecture == "relu":
            H = np.maximum(H, 0.0)
        elif self.architecture == "gated_relu":
            if self.gates is None:
                raise TypeError("a gated_relu generator needs gates (d_z, h); got None")
            H = H * (noise @ self.gates >= 0)
        else:
            H = H * H
        return H @ self.W2

    @property
    def weight_decay(self) -> float:
        r"""The degree-matched weight decay: :math:`\tfrac12 \sum_j (\|w_j\|^p + \|a_j\|^2)` with ``p = 2`` (ReLU)
        or ``p = 4`` (quadratic)."""
        power = 4 if self.architecture == "quadratic" else 2
        return float(0.5 * (np.sum(np.linalg.norm(self.W1, axis=0) ** power) + np.sum(self.W2**2)))


@dataclass(frozen=True)
class TwoLayerFit:
    """A fitted two-layer generator with the convex program's certificate.

    Attributes
    ----------
    generator : TwoLayerGenerator
    value : float
        Optimal value of the convex program (equals the recovered network's weight decay).
    residual : float
        :math:`\\max |f(Z) - G^*|` of the recovered network, measured independently of the solver.
    exact_patterns : bool
        Whether every activation pattern of ``Z`` was enumerated (ReLU; always True for quadratic).
    solver, status : str
    seconds : float
    """

    generator: TwoLayerGenerator
    value: float
    residual: float
    exact_patterns: bool
    solver: str
    status: str
    seconds: float


def _check_pair(Z: ArrayLike, G_star: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    noise = as_samples(Z, "Z")
    target = as_samples(G_star, "G_star")
    if target.shape[0] != noise.shape[0]:
        raise ValueError(f"G_star must have one row per row of Z ({noise.shape[0]}); got shape {target.shape}")
    return noise, target


def _solve(problem: Any, solver: str, what: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            problem.solve(solver=solver)
    except cp.SolverError as err:
        raise RuntimeError(f"solver {solver} failed on the {what} fit: {err}") from None
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise ValueError(
            f"no {what} network maps Z onto G_star (the fit is infeasible): add neurons' inputs, e.g. a ones "
            "column in Z, or enumerate more patterns"
        )
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        raise RuntimeError(f"solver {solver} returned status {problem.status!r} on the {what} fit")


def _finish(
    generator: TwoLayerGenerator,
    problem: Any,
    Z: NDArray[np.float64],
    G_star: NDArray[np.float64],
    exact_patterns: bool,
    solver: str,
    start: float,
    tol: float,
) -> TwoLayerFit:
    residual = float(np.abs(generator(Z) - G_star).max())
    scale = max(1.0, float(np.abs(G_star).max()))
    if residual > tol * scale:
        raise RuntimeError(
            f"the recovered {generator.architecture} network misses G_star by {residual:.3g} "
            f"(> tol * scale = {tol * scale:.3g}; solver status {problem.status!r}): tighten the solver or "
            "raise tol"
        )
    if problem.status == cp.OPTIMAL_INACCURATE:
        warnings.warn(
            f"solver {solver} returned 'optimal_inaccurate' on the {generator.architecture} fit; measured "
            f"max |f(Z) - G_star| = {residual:.3e}, weight decay {generator.weight_decay:.6g} against the "
            f"program's {problem.value:.6g}",
            InaccurateSolutionWarning,
            stacklevel=3,
        )
    return TwoLayerFit(
        generator, float(problem.value), residual, exact_patterns, solver, problem.status, time.perf_counter() - start
    )


def fit_relu_generator(
    Z: ArrayLike,
    G_star: ArrayLike,
    *,
    cone: bool = True,
    solver: str = "CLARABEL",
    tol: float = 1e-4,
    max_patterns: int = 20000,
    seed: int | np.random.Generator | None = 0,
) -> TwoLayerFit:
    r"""Least-weight-decay two-layer ReLU generator with ``f(Z) = G_star`` (module docstring).

    Parameters
    ----------
    Z : array-like (m, d_z)
        Generator input (append a ones column for biases).
    G_star : array-like (m, d)
        Target samples, one per row of ``Z``.
    cone : bool
        True: exact ReLU program with cone constraints (neurons per output column). False: gated relaxation
        with shared neurons.
    solver : str
        CVXPY solver (an SOCP with ``cone=True``, an SDP otherwise).
    tol : float
        Accepted :math:`\max |f(Z) - G^*|`, relative to :math:`\max(1, \max |G^*|)`.
    max_patterns, seed
        Passed to :func:`convexgan.duality.arrangements.activation_patterns` (sampled patterns beyond the
        limit, which makes the fit a restriction: ``exact_patterns`` is then False).

    Returns
    -------
    TwoLayerFit
    """
    start = time.perf_counter()
    Z, G_star = _check_pair(Z, G_star)
    tol = check_positive(tol, "tol")
    m, dz = Z.shape
    d = G_star.shape[1]
    arrangement = activation_patterns(Z, max_patterns=max_patterns, seed=seed)
    D = arrangement.patterns.astype(float)
    p = D.shape[0]
    if cone:
        mask = np.repeat(D.T, d, axis=1)
        select = sp.kron(np.ones((p, 1)), sp.eye(d)).tocsc()
        V = cp.Variable((dz, p * d))
        U = cp.Variable((dz, p * d))
        fit = cp.multiply(mask, Z @ (V - U)) @ select
        signs = 2 * mask - 1
        constraints = [fit == G_star, cp.multiply(signs, Z @ V) >= 0, cp.multiply(signs, Z @ U) >= 0]
        objective = cp.sum(cp.norm(V, 2, axis=0)) + cp.sum(cp.norm(U, 2, axis=0))
    else:
        blocks = sp.hstack([sp.csr_matrix(Z * D[i][:, None]) for i in range(p)]).tocsr()
        V = cp.Variable((p * dz, d))
        constraints = [blocks @ V == G_star]
        objective = sum(cp.normNuc(V[i * dz : (i + 1) * dz, :]) for i in range(p))
    problem = cp.Problem(cp.Minimize(objective), constraints)
    _solve(problem, solver, "ReLU")
    if cone:
        generator = _relu_neurons(V.value, U.value, d, p)
    else:
        generator = _gated_neurons(V.value.reshape(p, dz, d), arrangement.directions, Z, D)
    return _finish(generator, problem, Z, G_star, arrangement.exact, solver, start, tol)


def _relu_neurons(V: NDArray[np.float64], U: NDArray[np.float64], d: int, p: int) -> TwoLayerGenerator:
    """Neurons ``w = v / sqrt(||v||)``, ``a = +-sqrt(||v||) e_c`` from the columns of ``V``, ``U`` (d_z, p d)."""
    columns = np.hstack([V, U])
    norms = np.linalg.norm(columns, axis=0)
    keep = norms > 1e-7 * max(norms.max(initial=0.0), 1.0)
    output = np.tile(np.arange(d), 2 * p)
    sign = np.repeat([1.0, -1.0], p * d)
    W1 = columns[:, keep] / np.sqrt(norms[keep])
    W2 = np.zeros((int(keep.sum()), d))
    W2[np.arange(W2.shape[0]), output[keep]] = sign[keep] * np.sqrt(norms[keep])
    return TwoLayerGenerator("relu", W1, W2)


def _gated_neurons(
    V: NDArray[np.float64], gate_directions: NDArray[np.float64], Z: NDArray[np.float64], D: NDArray[np.float64]
) -> TwoLayerGenerator:
    r"""Neurons of the gated network from the blocks :math:`V_i = \sum_s \sigma_s q_s r_s^T` (SVD):
    :math:`w = \sqrt{\sigma} q`, :math:`a = \sqrt{\sigma} r`, gate :math:`h_i`; a ReLU network if
    :math:`(2 D_i - 1) \odot Z w \ge 0` for every neuron (then the gate is the neuron's own sign)."""
    scale = max(max(float(np.linalg.norm(Vi)) for Vi in V), 1.0)
    neurons: list[NDArray[np.float64]] = []
    outputs: list[NDArray[np.float64]] = []
    neuron_gates: list[NDArray[np.float64]] = []
    relu = True
    for Vi, h, Di in zip(V, gate_directions, D):
        Q, sv, Rt = np.linalg.svd(Vi, full_matrices=False)
        for s in np.flatnonzero(sv > 1e-6 * scale):
            w, a = np.sqrt(sv[s]) * Q[:, s], np.sqrt(sv[s]) * Rt[s]
            agree = (2 * Di - 1) * (Z @ w)
            if agree.min() < -1e-7 * scale:
                if ((2 * Di - 1) * (Z @ -w)).min() >= -1e-7 * scale:
                    w, a = -w, -a
                else:
                    relu = False
            neurons.append(w)
            outputs.append(a)
            neuron_gates.append(h)
    W1, W2, gates = np.array(neurons).T, np.array(outputs), np.array(neuron_gates).T
    if relu:
        return TwoLayerGenerator("relu", W1, W2)
    return TwoLayerGenerator("gated_relu", W1, W2, gates)


def fit_quadratic_generator(
    Z: ArrayLike, G_star: ArrayLike, *, solver: str = "SCS", tol: float = 1e-4
) -> TwoLayerFit:
    r"""Least-weight-decay two-layer quadratic-activation generator with ``f(Z) = G_star`` (module docstring).

    Parameters
    ----------
    Z : array-like (m, d_z)
        Generator input (a ones column gives the network linear and constant terms).
    G_star : array-like (m, d)
        Target samples.
    solver : str
        CVXPY solver taking SDPs (``"SCS"`` or ``"CLARABEL"``).
    tol : float
        Accepted :math:`\max |f(Z) - G^*|`, relative to :math:`\max(1, \max |G^*|)`.

    Returns
    -------
    TwoLayerFit
    """
    start = time.perf_counter()
    Z, G_star = _check_pair(Z, G_star)
    tol = check_positive(tol, "tol")
    dz, d = Z.shape[1], G_star.shape[1]
    P = [cp.Variable((dz, dz), PSD=True) for _ in range(d)]
    N = [cp.Variable((dz, dz), PSD=True) for _ in range(d)]
    constraints = [cp.sum(cp.multiply(Z @ (P[c] - N[c]), Z), axis=1) == G_star[:, c] for c in range(d)]
    objective = sum(cp.trace(P[c]) + cp.trace(N[c]) for c in range(d))
    problem = cp.Problem(cp.Minimize(objective), constraints)
    _solve(problem, solver, "quadratic")
    W1: list[NDArray[np.float64]] = []
    W2: list[NDArray[np.float64]] = []
    for c in range(d):
        lam, Q = np.linalg.eigh(P[c].value - N[c].value)
        for j in np.flatnonzero(np.abs(lam) > 1e-7 * max(np.abs(lam).max(), 1.0)):
            W1.append(np.abs(lam[j]) ** 0.25 * Q[:, j])
            W2.append(np.sign(lam[j]) * np.sqrt(np.abs(lam[j])) * np.eye(d)[c])
    generator = TwoLayerGenerator("quadratic", np.array(W1).reshape(-1, dz).T, np.array(W2).reshape(-1, d))
    return _finish(generator, problem, Z, G_star, True, solver, start, tol)
