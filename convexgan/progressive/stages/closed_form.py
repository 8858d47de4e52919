r"""One progressive stage in closed form (:ref:`theory-linear-generator`, :ref:`theory-progressive`).

Given the data moments :math:`S_X = V \operatorname{diag}(\lambda) V^T` at the stage's resolution and the
second moment of the stage input :math:`S_{\hat Z} = Q \operatorname{diag}(s^2) Q^T`, the quadratic-critic
problem

.. math::  \min_W \|W\|_F^2 \quad \text{s.t.} \quad \|S_X - W^T S_{\hat Z} W\|_2 \le \beta

is solved by :math:`W = Q_k \operatorname{diag}(\sqrt{(\lambda_k - \beta)/s_k^2}) V_k^T`,
``k = #{lambda_i > beta}``, and is feasible iff :math:`\operatorname{rank}(S_{\hat Z}) \ge k`
(:func:`convexgan.duality.closed_form.quadratic_critic_weights`). The certificate reported for every stage is
the constraint value :math:`\|S_X - W^T S_{\hat Z} W\|_2 / \beta`, computed in float64 from the stage's own
moments (the exact input moment in principled mode, the noise rows' empirical moment in legacy mode); it
is ``<= 1`` exactly when the stage is feasible.
"""

from typing import Any

import torch

from convexgan.duality.closed_form import InfeasibleError, quadratic_critic_weights
from convexgan.progressive.linalg.certificate import certificate
from convexgan.progressive.linalg.dense import check_k_schedule, check_rank_carries
from convexgan.progressive.linalg.eigen import (
    eigenpairs_above,
    leading_eigenpairs,
    symmetric_norm,
)

EPS64 = torch.finfo(torch.float64).eps



def data_spectrum(second: Any, *, k: int | None = None, beta: float | None = None, method: str = "dense",
                  n: int | None = None, eps: float = EPS64,
                  raw_scale: float = 0.0) -> tuple[torch.Tensor, torch.Tensor, float, dict[str, Any]]:
    r"""Kept eigenpairs of :math:`S_X` and the stage's beta.

    Exactly one of ``k`` (then :math:`\beta = \lambda_{k+1}`) and ``beta`` (then
    :math:`k = \#\{\lambda_i > \beta\}`) is given. The one rank decision,
    :func:`~convexgan.progressive.linalg.dense.check_rank_carries` with the solve's and the moments' rounding
    (``eps``, ``raw_scale``), refuses, naming the user's ``k`` or ``beta``, a ``k`` whose
    :math:`\lambda_{k+1}` is not above the floor and a ``beta`` that keeps no eigenvalue above it (and
    ``k <= n - 2`` for ``n`` centred images, whose rank is at most ``n - 1``).

    Parameters
    ----------
    second : torch.Tensor (d, d) or DataOperator
        :math:`S_X`, as a matrix or through :class:`~convexgan.progressive.pipeline.operator.DataOperator`.
    k, beta
        The stage's schedule.
    method : str
        The stage's concrete eigen-solver (:mod:`convexgan.progressive.linalg.eigen`).
    n : int or None
        Number of images behind ``second``.
    eps, raw_scale : float
        Rounding level of ``second`` (see :class:`convexgan.progressive.pipeline.moments.Moments`).

    Returns
    -------
    lam : torch.Tensor (k,) float64
    V : torch.Tensor (d, k) float64
    beta : float
    info : dict
        The eigen-solver's method and residuals, plus ``next_eigenvalue`` (:math:`\lambda_{k+1}`) (and, through
        an operator, ``passes``, ``columns`` and the private ``_ritz`` for :func:`stage_certificate`).
    """
    d = second.shape[0]
    if (k is None) == (beta is None):
        raise ValueError("give exactly one of k and beta for every stage")
    if k is not None:
        if not 1 <= k <= d - 1:
            raise ValueError(f"k={k} must be between 1 and d - 1 = {d - 1} at this resolution (d = {d})")
        if n is not None and k > n - 2:
            raise ValueError(f"k={k} needs at least k + 2 = {k + 2} images (the rank of {n} centred images is at "
                             f"most {n - 1} and beta = lambda_(k+1) must be > 0); use fewer components or more images")
        lam, V, info = leading_eigenpairs(second, k + 1, method)
        check_k_schedule(lam, k, d, eps=eps, raw_scale=raw_scale, residual=float(info["residual"]))
        beta = float(lam[k])
    else:
        assert beta is not None  # exactly one of k and beta, checked above
        lam, V, info = eigenpairs_above(second, beta, method)
        check_rank_carries(lam, max(int((lam > beta).sum()), 1), d, "beta", beta, eps=eps, raw_scale=raw_scale)
    k = int((lam > beta).sum())
    if k == 0:
        raise ValueError(f"beta={beta!r} keeps no component: the largest eigenvalue of S_X is {float(lam[0])!r}; "
                         f"expected a beta below it")
    info = dict(info, next_eigenvalue=float(lam[k]) if k < lam.numel() else 0.0)
    return lam[:k], V[:, :k], float(beta), info


def input_spectrum(M: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
    r"""Eigenpairs of :math:`S_{\hat Z} = M^T M` from the thin SVD of ``M`` (rows = latent coordinates).

    Returns
    -------
    s2 : torch.Tensor (r,) float64, descending
    Q : torch.Tensor (p, r) float64
    rank : int
        Numerical rank (singular values above ``max(M.shape) * eps * s_max``).
    """
    M = M.to(torch.float64)
    _, s, Qt = torch.linalg.svd(M, full_matrices=False)
    tol = float(s[0]) * max(M.shape) * EPS64 if s.numel() else 0.0
    return s**2, Qt.T, int((s > tol).sum())


def closed_form_factor(lam: torch.Tensor, s2: torch.Tensor, Q: torch.Tensor, beta: float) -> torch.Tensor:
    r"""The input factor :math:`B = Q_k \operatorname{diag}(\sqrt{(\lambda_k - \beta)/s_k^2})` of :math:`W = B V_k^T`.

    It is :func:`~convexgan.duality.closed_form.quadratic_critic_weights` with :math:`V_k` replaced by the
    identity (so that ``W`` is never formed).
    """
    k = lam.numel()
    eye = torch.eye(k, dtype=torch.float64, device=lam.device)
    return quadratic_critic_weights(lam, eye, s2[:k], Q[:, :k], beta)


def check_feasible(k: int, rank: int, lam_next_of_rank: float, stage_label: str) -> None:
    """Raise :class:`InfeasibleError` when ``k > rank`` (the input cannot carry k directions)."""
    if k > rank:
        raise InfeasibleError(
            f"{stage_label}: k={k} exceeds the rank {rank} of the stage input, so (S_X - beta I)_+ cannot be "
            f"generated; the smallest feasible beta is lambda_{rank + 1}(S_X) = {lam_next_of_rank!r}"
        )


def constraint_value(second: torch.Tensor, V: torch.Tensor, C: torch.Tensor, beta: float,
                     method: str = "dense") -> float:
    r""":math:`\|S_X - V C V^T\|_2 / \beta` in float64, with :math:`C = B^T S_{\hat Z} B` (``k x k``)."""
    return symmetric_norm(second, V, C, method) / beta


def stage_certificate(second: Any, V: torch.Tensor, C: torch.Tensor, beta: float, method: str = "dense",
                      spectrum_info: dict[str, Any] | None = None) -> dict[str, Any]:
    r"""The stage's certificate :math:`\|S_X - V C V^T\|_2 / \beta` and how it was obtained.

    With the matrix :math:`S_X`: :func:`constraint_value` (``kind='exact'``: the eigenvalues of the difference,
    for the dense method; else ``kind='weyl_bound'``: the upper bound of
    :func:`~convexgan.progressive.linalg.eigen.symmetric_norm`, within :math:`2\|E\|_2 / \beta` of the exact value).
    Through a :class:`~convexgan.progressive.pipeline.operator.DataOperator`: the rigorous upper bound of
    :func:`convexgan.progressive.linalg.certificate.certificate` (``kind='operator_bound'``, with its ``lower`` bound
    and ``accuracy``), reusing the eigen-solver's products :math:`S_X V` and next Ritz vectors from
    ``spectrum_info['_ritz']`` (no extra pass for :math:`S_X V`).

    Returns
    -------
    dict
        ``value`` and ``kind``, plus the details of the operator bound.
    """
    if isinstance(second, torch.Tensor):
        dense = method == "dense" or second.shape[0] <= 2
        return {"value": constraint_value(second, V, C, beta, method), "kind": "exact" if dense else "weyl_bound"}
    image = start = None
    if spectrum_info is not None and "_ritz" in spectrum_info:
        X, AX = spectrum_info["_ritz"]
        k = V.shape[1]
        image, start = AX[:, :k], X[:, k:]
    return dict(certificate(second, V, C, beta, image=image, start=start), kind="operator_bound")
