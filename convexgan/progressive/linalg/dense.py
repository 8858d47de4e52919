r"""Eigen-solvers of a symmetric positive semi-definite matrix, with the accuracy measured.

Methods (``method=``, a concrete method: the choice of one is :mod:`convexgan.progressive.stages.policy`'s):

- ``'dense'``: ``torch.linalg.eigh`` of the whole matrix (exact to rounding; :math:`O(d^3)`).
- ``'eigsh'``: ARPACK Lanczos (``scipy.sparse.linalg.eigsh``) on the float64 matrix, on the CPU.
- ``'lobpcg'``: ``torch.lobpcg`` (block method; runs on the matrix's device).
- ``'randomized'``: randomized subspace iteration with ``q`` columns and 2 power iterations
  (``torch.svd_lowrank``), the official code's choice at 64 x 64; not exact.

Dense CPU solves up to ``d = 2048`` run on one thread: on a shared 2-core machine ``torch.linalg.eigh`` at
``d = 768`` took 5.3 s with 2 threads and 0.09 s with 1 (OpenMP threads waiting for busy cores).

Every call returns the residual :math:`\max_j \|S v_j - \lambda_j v_j\|_2` so that the accuracy is known.
Eigenvalues are in descending order, eigenvectors are columns with deterministic signs (largest-magnitude
entry positive), everything float64.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse.linalg
import torch
from numpy.typing import NDArray

from convexgan._validation import check_choice, check_int
from convexgan.choices import MATRIX_METHODS, NUMERICAL_RANK_FACTOR

SINGLE_THREAD_UP_TO = 2048
DENSE_METHOD_MAX_D = {"cpu": 1024, "cuda": 16384}


@contextmanager
def _threads_for(d: int, device: torch.device | str) -> Iterator[None]:
    """Run small dense CPU solves on one thread (restored afterwards)."""
    if torch.device(device).type != "cpu" or d > SINGLE_THREAD_UP_TO:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@contextmanager
def seeded(seed: int, device: torch.device | str) -> Iterator[None]:
    """Run with torch's global generators (CPU and ``device``) seeded, restoring their state afterwards.

    ``torch.svd_lowrank`` draws its random test matrix from the global generator; this makes it reproducible.
    """
    device = torch.device(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], device_type=device.type):
        torch.manual_seed(seed)
        yield


def _fix_signs(V: torch.Tensor) -> torch.Tensor:
    pivot = V.abs().argmax(0)
    signs = torch.sign(V[pivot, torch.arange(V.shape[1], device=V.device)])
    signs[signs == 0] = 1
    return V * signs


def eigen_residual(S: torch.Tensor, lam: torch.Tensor, V: torch.Tensor) -> float:
    r"""Return :math:`\max_j \|S v_j - \lambda_j v_j\|_2` (0 for no pairs)."""
    if V.shape[1] == 0:
        return 0.0
    return float(torch.linalg.vector_norm(S @ V - V * lam, dim=0).max())


def _start_block(d: int, q: int, device: torch.device | str) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randn(d, q, generator=generator, dtype=torch.float64).to(device)


def matrix_eigenpairs(S: torch.Tensor, k: int,
                      method: str = "dense") -> tuple[torch.Tensor, torch.Tensor, dict[str, Any]]:
    """The ``k`` largest eigenpairs of a symmetric PSD matrix by ``method``.

    Parameters
    ----------
    S : torch.Tensor (d, d) or DataOperator
        Symmetric; converted to float64.
    k : int
        ``1 <= k <= d`` (``k < d / 3`` for ``'lobpcg'``).
    method : {'dense', 'eigsh', 'lobpcg', 'randomized'}
        See the module docstring.

    Returns
    -------
    lam : torch.Tensor (k,) float64, descending
    V : torch.Tensor (d, k) float64
    info : dict
        ``method`` (concrete), ``residual`` (absolute) and ``relative_residual`` (divided by ``lam[0]``).
    """
    concrete = check_choice(method, "eigensolver", MATRIX_METHODS)
    S = S.to(torch.float64)
    d = S.shape[0]
    k = check_int(k, "k", 1, d)
    if concrete == "dense":
        with _threads_for(d, S.device):
            lam, V = torch.linalg.eigh(S)
        lam, V = lam.flip(0)[:k], V.flip(1)[:, :k]
    elif concrete == "eigsh":
        if k >= d - 1:
            return matrix_eigenpairs(S, k, "dense")
        v0 = _start_block(d, 1, "cpu")[:, 0].numpy()
        lam_np, V_np = scipy.sparse.linalg.eigsh(S.cpu().numpy(), k=k, which="LA", v0=v0)
        order: Any = np.argsort(lam_np)[::-1]  # a numpy index here, a tensor in the branches below
        lam = torch.from_numpy(lam_np[order].copy()).to(S.device)
        V = torch.from_numpy(V_np[:, order].copy()).to(S.device)
    elif concrete == "lobpcg":
        if 3 * k > d:
            raise ValueError(f"eigensolver='lobpcg' needs k={k} < d/3 = {d / 3:.1f}; use 'dense' or 'eigsh'")
        lam, V = torch.lobpcg(S, k=k, X=_start_block(d, k, S.device), largest=True, tol=1e-12, niter=1000)
        order = torch.argsort(lam, descending=True)
        lam, V = lam[order], V[:, order]
    else:
        with seeded(0, S.device):
            _, _, V = torch.svd_lowrank(S, q=k, niter=2, M=None)
        lam = ((S @ V) * V).sum(0)
        order = torch.argsort(lam, descending=True)
        lam, V = lam[order], V[:, order]
    V = _fix_signs(V)
    residual = eigen_residual(S, lam, V)
    scale = float(lam[0]) if float(lam[0]) > 0 else 1.0
    return lam, V, {"method": concrete, "residual": residual, "relative_residual": residual / scale}


def symmetric_norm(S: torch.Tensor, V: torch.Tensor, C: torch.Tensor, method: str = "dense") -> float:
    r"""Spectral norm :math:`\|D\|_2` of :math:`D = S - V C V^T` in float64 (``V`` orthonormal columns).

    With ``method='dense'`` (or ``d <= 2``): the eigenvalues of ``D``. Large ones, without forming
    ``D``: in the basis :math:`[V, V_\perp]`, ``D`` has diagonal blocks :math:`A = V^T S V - C` and
    :math:`B = V_\perp^T S V_\perp` and off-diagonal block of norm :math:`\|E\|_2`,
    :math:`E = S V - V V^T S V`, so by Weyl's inequality

    .. math::  \|D\|_2 \le \max(\|A\|_2, \|B\|_2) + \|E\|_2 ,

    and this upper bound is returned: :math:`\|A\|` and :math:`\|E\|` exactly (``k x k`` problems),
    :math:`\|B\| = \lambda_{\max}((I - VV^T) S (I - VV^T))` by ARPACK (largest algebraic; ``S`` is PSD). It is
    within :math:`2\|E\|_2` of the exact norm. (ARPACK on ``D`` itself stalls: when the stage is exact, the top of
    its spectrum is a ``k + 1``-fold cluster at ``beta``.)

    Parameters
    ----------
    S : torch.Tensor (d, d)
    V : torch.Tensor (d, k)
    C : torch.Tensor (k, k)
    method : {'dense', 'eigsh', 'lobpcg', 'randomized'}
        The stage's matrix method: ``'dense'`` gives the exact norm, the others the Weyl bound.
    """
    check_choice(method, "eigensolver", MATRIX_METHODS)
    S = S.to(torch.float64)
    V = V.to(device=S.device, dtype=torch.float64)
    C = C.to(device=S.device, dtype=torch.float64)
    d = S.shape[0]
    if method == "dense" or d <= 2:
        D = S - V @ C @ V.T
        with _threads_for(d, S.device):
            return float(torch.linalg.eigvalsh((D + D.T) / 2).abs().max())
    SV = S @ V
    M = V.T @ SV
    A = M - C
    norm_A = float(torch.linalg.eigvalsh((A + A.T) / 2).abs().max())
    norm_E = float(torch.linalg.matrix_norm(SV - V @ M, 2))
    S_np, V_np = S.cpu().numpy(), V.cpu().numpy()

    def deflated(x: NDArray[np.float64]) -> NDArray[np.float64]:
        y = x - V_np @ (V_np.T @ x)
        y = S_np @ y
        return y - V_np @ (V_np.T @ y)

    operator = scipy.sparse.linalg.LinearOperator((d, d), matvec=deflated, dtype=np.float64)
    v0 = _start_block(d, 1, "cpu")[:, 0].numpy()
    norm_B = float(scipy.sparse.linalg.eigsh(operator, k=1, which="LA", v0=v0, return_eigenvectors=False)[0])
    return max(norm_A, norm_B) + norm_E


def matrix_method(d: int, device: torch.device | str = "cpu") -> str:
    """The faster exact matrix method at size ``d``: ``'dense'`` up to :data:`DENSE_METHOD_MAX_D`, else ``'eigsh'``.

    The policy (:func:`convexgan.progressive.stages.policy.choose_eigensolver`) takes it for ``'auto'`` on the
    ``d x d`` path, and the Gram route for its ``n x n`` matrix.
    """
    limit = DENSE_METHOD_MAX_D.get(torch.device(device).type, DENSE_METHOD_MAX_D["cpu"])
    return "dense" if d <= limit else "eigsh"


def check_rank_carries(lam: torch.Tensor, k: int, d: int, argument: str = "k", value: object = None) -> None:
    r"""Refuse a ``k`` (or the ``beta`` that chose it) that the numerical rank of the spectrum ``lam`` cannot carry.

    The numerical rank is the number of eigenvalues above
    :math:`\tau = c\, d\, \varepsilon\, \lambda_1` (``c = NUMERICAL_RANK_FACTOR``, :math:`\varepsilon` of
    ``lam``'s dtype), which is scale-invariant; :math:`\lambda_1 \le 0` is rank 0. ``argument``/``value``
    name what the user gave.

    Examples
    --------
    >>> check_rank_carries(torch.tensor([1.0, 0.5]), 2, 4)
    >>> check_rank_carries(torch.zeros(2), 1, 4)
    Traceback (most recent call last):
    ...
    ValueError: k=1 needs rank >= 1 but the data moment S_X has numerical rank 0 (lambda_1 = 0); accepted: none
    """
    top = float(lam[0]) if lam.numel() else 0.0
    tau = NUMERICAL_RANK_FACTOR * d * float(torch.finfo(lam.dtype).eps) * top
    rank = int((lam > tau).sum()) if top > 0 else 0
    if k > rank:
        given = f"{argument}={k if value is None else value}"
        accepted = f"k in 1..{rank}" if rank else "none"
        raise ValueError(f"{given} needs rank >= {k} but the data moment S_X has numerical rank {rank} "
                         f"(lambda_1 = {top:.3g}); accepted: {accepted}")
