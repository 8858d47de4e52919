r"""Top eigenpairs of the data moment :math:`S_X`, given as a matrix or through the data operator, by a named method.

``method`` is concrete (``'auto'`` is decided once, per stage, by
:func:`convexgan.progressive.stages.policy.choose_eigensolver`):

- on a ``d x d`` matrix, one of :data:`~convexgan.choices.MATRIX_METHODS`
  (:mod:`convexgan.progressive.linalg.dense`);
- through a :class:`~convexgan.progressive.pipeline.operator.DataOperator`, ``'operator'`` (block Krylov with
  thick restarts and Rayleigh-Ritz, :func:`~convexgan.progressive.linalg.krylov.krylov_eigenpairs`, each product
  :math:`S_X Q` one pass over the pixels) or ``'gram'`` (the ``n x n`` Gram matrix
  :math:`K = \frac1n X_c X_c^T`, whose eigenpairs :math:`K u = \lambda u` give
  :math:`v = X_c^T u / \sqrt{n \lambda}`, refined by one Rayleigh-Ritz step through the operator,
  :func:`~convexgan.progressive.linalg.gram.gram_eigenpairs`).
"""

from typing import Any

import torch

from convexgan._validation import check_choice
from convexgan.choices import (
    LAST_RESIDUAL_TOLERANCE,
    MATRIX_METHODS,
    OPERATOR_METHODS,
    RESIDUAL_TOLERANCE,
)
from convexgan.progressive.linalg.dense import (
    check_rank_carries,
    eigen_residual,
    matrix_eigenpairs,
    relative,
    seeded,
    symmetric_norm,
)
from convexgan.progressive.linalg.gram import gram_eigenpairs
from convexgan.progressive.linalg.krylov import krylov_eigenpairs

__all__ = ["eigen_residual", "eigenpairs_above", "gram_eigenpairs", "krylov_eigenpairs", "leading_eigenpairs",
           "matrix_eigenpairs",
           "operator_eigenpairs", "operator_eigenpairs_above", "seeded", "symmetric_norm", "top_eigenpairs"]

def top_eigenpairs(S: Any, k: int, method: str) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """The ``k`` largest eigenpairs of :math:`S_X`, a symmetric PSD matrix or a data operator, by ``method``.

    Parameters
    ----------
    S : torch.Tensor (d, d) or DataOperator
        The matrix (converted to float64) or the operator.
    k : int
        ``1 <= k <= d`` (``k < d / 3`` for ``'lobpcg'``).
    method : str
        A matrix method for a matrix, ``'operator'`` or ``'gram'`` for an operator (see the module docstring).

    Returns
    -------
    lam : torch.Tensor (k,) float64, descending
    V : torch.Tensor (d, k) float64
    info : dict
        ``method``, ``residual`` (absolute) and ``relative_residual`` (divided by ``lam[0]``); through an
        operator also ``passes``, ``columns`` and the Ritz block ``_ritz``.
    """
    lam, V, info = leading_eigenpairs(S, k, method)
    check_rank_carries(lam, k, S.shape[0])
    return lam, V, info


def leading_eigenpairs(S: Any, k: int, method: str) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """:func:`top_eigenpairs` without the rank refusal, for callers that decide the rank with more knowledge.

    A zero matrix gives zero eigenvalues (ARPACK would refuse its zero start vector);
    :func:`convexgan.progressive.stages.closed_form.data_spectrum` refuses with the user's ``k`` or ``beta``.
    """
    if not isinstance(S, torch.Tensor):
        return operator_eigenpairs(S, k, method)
    if not bool(S.any()):
        zero = torch.zeros(min(k, S.shape[0]), dtype=torch.float64)
        return zero, torch.eye(S.shape[0], zero.numel(), dtype=torch.float64), {
            "method": method, "residual": 0.0, "relative_residual": 0.0}
    return matrix_eigenpairs(S, k, method)


def eigenpairs_above(S: Any, beta: float, method: str,
                     start: int = 32) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    r"""All eigenpairs with :math:`\lambda > \beta`, plus the next eigenvalue.

    Iterative methods are called with ``start`` pairs, doubled until the smallest returned eigenvalue is
    ``<= beta``.

    Returns
    -------
    lam : torch.Tensor (k + 1,) or (d,)
        Descending; ``lam[:k] > beta``; ``lam[k] <= beta`` (absent when every eigenvalue exceeds beta).
    V : torch.Tensor (d, k + 1)
    info : dict
        As :func:`top_eigenpairs`.
    """
    if not isinstance(S, torch.Tensor):
        return operator_eigenpairs_above(S, beta, method, start)
    d = S.shape[0]
    q = min(start, d)
    while True:
        lam, V, info = leading_eigenpairs(S, q, method)
        if float(lam[-1]) <= beta or q == d:
            k = int((lam > beta).sum())
            return lam[: k + 1], V[:, : k + 1], info
        q = min(2 * q, d)


def _check_operator_method(method: str) -> None:
    check_choice(method, "eigensolver", (*MATRIX_METHODS, *OPERATOR_METHODS))
    if method in MATRIX_METHODS:
        raise ValueError(f"eigensolver={method!r} needs the d x d moment; a DataOperator takes 'operator', 'gram' "
                         f"(choose with convexgan.progressive.stages.policy.choose_eigensolver)")


def operator_eigenpairs(A: Any, k: int, method: str = "operator", *, tol: float = RESIDUAL_TOLERANCE,
                        tol_last: float = LAST_RESIDUAL_TOLERANCE,
                        start: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    r"""The ``k`` largest eigenpairs of a :class:`~convexgan.progressive.pipeline.operator.DataOperator`.

    ``method``: ``'operator'`` (:func:`krylov_eigenpairs`) or ``'gram'`` (:func:`gram_eigenpairs`). Same returns as
    :func:`krylov_eigenpairs`; ``info['passes']`` counts the passes of this solve (the operator's statistics
    pass excluded). The residuals reach ``tol`` relative to :math:`\lambda_1` and ``tol_last`` relative to
    the smallest wanted eigenvalue.
    """
    _check_operator_method(method)
    if method == "gram":
        return gram_eigenpairs(A, k)
    return krylov_eigenpairs(A, k, tol=tol, tol_last=tol_last, start=start)


def operator_eigenpairs_above(A: Any, beta: float, method: str = "operator", start: int = 32, *,
                              tol: float = RESIDUAL_TOLERANCE) -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    r"""All eigenpairs of the operator with :math:`\lambda > \beta`, plus the next one (as :func:`eigenpairs_above`).

    The number of wanted pairs starts at ``start`` and doubles, each solve warm-started from the previous Ritz
    vectors, until the smallest converged Ritz value is ``<= beta``.
    """
    _check_operator_method(method)
    q, previous, passes, columns = min(start, A.d), None, 0, 0
    while True:
        lam, V, info = operator_eigenpairs(A, q, method, tol=tol, start=previous)
        passes, columns = passes + info["passes"], columns + info["columns"]
        if float(lam[-1]) <= beta or q == A.d:
            k = int((lam > beta).sum())
            info = dict(info, passes=passes, columns=columns,
                        residuals=info["residuals"][: k + 1], residual=max(info["residuals"][: k + 1]))
            info["relative_residual"] = relative(info["residual"], float(lam[0]))
            return lam[: k + 1], V[:, : k + 1], info
        previous, q = info["_ritz"][0], min(2 * q, A.d)

