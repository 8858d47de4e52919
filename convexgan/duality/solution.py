r"""The result of a solve: optimal generator, optimal critic and the certificate (:ref:`theory-certificates`).

The certificate is a :class:`convexgan.duality.certificate.Certificate` (a dict with typed properties) with

- ``primal``: the generator objective reached (:math:`\|W\|_F^2` or :math:`\operatorname{tr} S_G`);
- ``dual``: a certified lower bound on the optimum (a dual objective at a dual-feasible point, see
  :mod:`convexgan.duality.certify`, or for the linear generator with the quadratic critic the Weyl/von Neumann
  bound :math:`\sum_{i \le k} (\lambda_i - \beta) / s_i^2`); ``None`` where there is none;
- ``gap``: ``primal - dual`` (``None`` without a dual);
- ``violation``: ``critic_gap(X, G) - beta`` evaluated from the returned samples, independently of any solver
  (``<= 0`` means (C) holds);
- ``solver``, ``status``, ``iterations``, ``seconds``: how it was obtained (``solver="closed_form"`` for closed
  forms);
- ``optimality``: ``"exact"`` when the result is the proven optimum (closed form, or a convex program whose
  relaxation is exact and whose solve passed the checks of :mod:`convexgan.duality.certify`), ``"inaccurate:
  ..."`` with the measured numbers when a check failed, otherwise a phrase saying what is and is not certified;
- ``tolerance`` (solver results): the absolute violation and gap tolerances the label was checked against;
- ``rank_tolerance`` (moments factored into samples or weights): eigenvalues at most this times the largest
  counted as zero (:func:`convexgan.duality.solvers.rank_tolerance` of the solver that produced them).
"""

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan.duality.certificate import Certificate
from convexgan.duality.certify import evidence
from convexgan.duality.critics import CRITIC_GAPS, Critic
from convexgan.exceptions import RoundingWarning

if TYPE_CHECKING:
    from convexgan.duality.two_layer import TwoLayerGenerator


@dataclass(frozen=True)
class Solution:
    """Optimal generated samples, generator weights and critic of one WGAN problem, with a certificate.

    Attributes
    ----------
    G : ndarray (m, d), float64
        Generated samples (``Z @ W`` for the linear generator; recovered from the optimal moments for the free
        generator).
    W : ndarray (d_z, d) or None
        Linear generator weights (None for the free generator).
    mean : ndarray (d,)
        :math:`\\mu_G = G^T 1 / m`.
    second_moment : ndarray (d, d)
        :math:`S_G = G^T G / m`.
    value : float
        The generator objective: :math:`\\|W\\|_F^2` (linear) or :math:`\\operatorname{tr} S_G` (free).
    critic : Critic
        The optimal critic, callable on ``(n, d)`` arrays, with its neurons.
    certificate : Certificate
        A dict of the entries in the module docstring, with typed properties (``.optimality``,
        ``.inaccurate``, ...).
    method : str
        ``"closed_form"`` or ``"cvxpy"`` (or a method another pairing registers).
    beta : float
        The critic regularisation used (mean units).
    k : int or None
        Number of kept components (quadratic critic), else None.
    generator : str
    network : TwoLayerGenerator or None
        The fitted two-layer generator (``generator="relu2"`` or ``"quadratic2"``), callable on ``Z``; else None.
    """

    G: NDArray[np.float64]
    W: NDArray[np.float64] | None
    mean: NDArray[np.float64]
    second_moment: NDArray[np.float64]
    value: float
    critic: Critic
    certificate: Certificate
    method: str
    beta: float
    k: int | None
    generator: str
    network: "TwoLayerGenerator | None" = None


def make_solution(X: NDArray[np.float64], G: ArrayLike, *, W: NDArray[np.float64] | None, value: float, critic: Critic, critic_name: str,
                  params: dict[str, Any], beta: float, k: int | None, generator: str, method: str,
                  dual: float | None, run: dict[str, Any], optimality: str,
                  network: "TwoLayerGenerator | None" = None, objective_scale: float | None = None,
                  checked: tuple[float, float | None] | None = None,
                  extra: dict[str, Any] | None = None) -> Solution:
    """Assemble a :class:`Solution`; the violation of (C) is measured here from ``G`` with ``CRITIC_GAPS``.

    Parameters
    ----------
    X, G : ndarray (n, d), (m, d)
    run : dict
        ``solver``, ``status``, ``iterations``, ``seconds`` of the solve.
    dual : float or None
        A certified lower bound on the optimal value.
    optimality : str
        The claim (``"exact"`` for closed forms). For a solver's result (``objective_scale`` given) it is made
        only when :func:`convexgan.duality.certify.evidence` confirms it, otherwise the label is
        ``"inaccurate: ..."``; the tolerances used go to ``certificate["tolerance"]``.
    objective_scale : float, optional
        The objective's natural size (floor of the relative gap tolerance); given for solver results.
    checked : tuple (primal, dual), optional
        The pair whose gap backs the claim, when it is not ``(value, dual)`` (e.g. the lifted program's).
    extra : dict, optional
        More certificate entries.
    """
    samples = np.asarray(G, dtype=np.float64)
    gap = CRITIC_GAPS[critic_name]
    violation = float(gap(X, samples, **params)) - beta
    if violation > beta:
        gap_0 = float(gap(X, np.zeros((1, X.shape[1])), **params))
        warnings.warn(
            f"(C) is met only to rounding: critic_gap - beta = {violation:.3e} exceeds beta = {beta:.3e}, which is "
            f"{beta / gap_0:.1e} of the zero generator's gap {gap_0:.3e} (float64 resolves about 1e-16 of it); "
            f"the label below is relative to the data's scale", RoundingWarning, stacklevel=3)
    certificate = Certificate({
        "primal": float(value),
        "dual": None if dual is None else float(dual),
        "gap": None if dual is None else float(value - dual),
        "violation": violation,
        **run,
        "optimality": optimality,
    })
    if objective_scale is not None:
        constraint_scale = max(beta, float(gap(X, np.zeros((1, X.shape[1])), **params)))
        primal, bound = (value, dual) if checked is None else checked
        certificate["optimality"], certificate["tolerance"] = evidence(
            run, violation=violation, constraint_scale=constraint_scale, primal=primal, dual=bound,
            objective_scale=objective_scale, claim=optimality,
        )
    certificate.update(extra or {})
    return Solution(
        G=samples,
        W=W,
        mean=samples.mean(axis=0),
        second_moment=samples.T @ samples / samples.shape[0],
        value=float(value),
        critic=critic,
        certificate=certificate,
        method=method,
        beta=float(beta),
        k=k,
        generator=generator,
        network=network,
    )
