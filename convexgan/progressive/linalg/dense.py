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


def relative(residual: float, top: float) -> float:
    """``residual / top``, infinite when ``top <= 0`` (a zero spectrum has no relative accuracy)."""
    return residual / top if top > 0 else (0.0 if residual == 0 else float("inf"))


def numerical_rank(lam: torch.Tensor, d: int, eps: float | None = None, raw_scale: float = 0.0) -> tuple[int, float]:
    r"""The numerical rank of the spectrum ``lam`` of a ``d x d`` moment, and the floor that decides it.

    An eigenvalue counts when above

    .. math::  \tau = c\, d\, \max(\varepsilon_\lambda \lambda_1,\; \varepsilon\, s)

    (``c = NUMERICAL_RANK_FACTOR``). The first term is the eigen-solve's own rounding, relative to
    :math:`\lambda_1` in ``lam``'s dtype (so the rank is scale-invariant); the second is the rounding of the
    moment's accumulation, ``eps`` (its dtype's epsilon, default ``lam``'s) times the pixel scale ``s``
    (``raw_scale``, the largest raw second moment of a coordinate): centring :math:`E[y y^T] - m m^T` in that
    dtype errs by up to :math:`\varepsilon \|m\|^2 \le \varepsilon\, d\, s` in norm, which is what 40
    identical images leave in a float32 :math:`S_X = 0`. :math:`\lambda_1 \le 0` is rank 0.

    Examples
    --------
    >>> numerical_rank(torch.tensor([1.0, 1e-12], dtype=torch.float64), 4)[0]
    2
    >>> numerical_rank(torch.tensor([2.7e-7, 1e-8], dtype=torch.float64), 64, eps=1.2e-7, raw_scale=0.2)[0]
    0
    """
    top = float(lam[0]) if lam.numel() else 0.0
    solve_eps = float(torch.finfo(lam.dtype).eps)
    floor = NUMERICAL_RANK_FACTOR * d * max(solve_eps * top, (solve_eps if eps is None else eps) * raw_scale)
    return (int((lam > floor).sum()) if top > 0 else 0), floor


def check_rank_carries(lam: torch.Tensor, k: int, d: int, argument: str = "k", value: object = None, *,
                       need: int | None = None, eps: float | None = None, raw_scale: float = 0.0) -> None:
    r"""Refuse a ``k`` (or the ``beta`` that chose it) that the :func:`numerical_rank` of ``lam`` cannot carry.

    ``need`` (default ``k``) eigenvalues must lie above the floor: ``k + 1`` for a ``k`` schedule, whose
    :math:`\beta = \lambda_{k+1}` must be a real eigenvalue. ``argument``/``value`` name what the user gave.

    Examples
    --------
    >>> check_rank_carries(torch.tensor([1.0, 0.5]), 2, 4)
    >>> try:
    ...     check_rank_carries(torch.zeros(2), 1, 4)
    ... except ValueError as refusal:
    ...     print(str(refusal)[:62])
    k=1 needs numerical rank >= 1 but the data moment S_X has nume
    """
    need = k if need is None else need
    rank, floor = numerical_rank(lam, d, eps, raw_scale)
    if need > rank:
        top = float(lam[0]) if lam.numel() else 0.0
        given = f"{argument}={k if value is None else value}"
        why = f" (beta = lambda_{need} must be above the floor)" if need > k else ""
        accepted = (f"k in 1..{rank - (need - k)}" if rank > need - k else "none") if argument == "k" else (
            f"beta in [{floor:.3g}, {top:.3g})" if rank else "none")
        raise ValueError(f"{given} needs numerical rank >= {need}{why} but the data moment S_X has numerical rank "
                         f"{rank} (lambda_1 = {top:.3g}, floor {floor:.3g}); accepted: {accepted}")


def tie_tolerance(lam: torch.Tensor, d: int, eps: float | None = None, raw_scale: float = 0.0,
                  residual: float = 0.0) -> float:
    r"""Gap below which two computed eigenvalues of the moment count as tied.

    .. math::  t = c \max(d\, \varepsilon_\lambda \lambda_1,\; \varepsilon \max(\lambda_1, s)) + 2 r

    (``c = NUMERICAL_RANK_FACTOR``): the eigen-solve's rounding (as
    :func:`convexgan.duality.closed_form.tie_tolerance`, in ``lam``'s dtype), the rounding of the moment's entries
    in its accumulation dtype (``eps``; a relative error :math:`\varepsilon` per entry moves each eigenvalue by
    about :math:`\varepsilon \|S_X\|_2`, and by Weyl no more than the error's norm), and the solve's residual
    ``r`` (a Ritz value within :math:`\|r\|` of an eigenvalue), once per eigenvalue of the pair. Exact double
    eigenvalues of float32 moments of images closed under the dihedral group split by about
    :math:`10^{-9} \lambda_1`, inside :math:`c\, \varepsilon_{32} \lambda_1 = 1.2 \cdot 10^{-6} \lambda_1`.

    Examples
    --------
    >>> tie_tolerance(torch.tensor([2.0, 1.0], dtype=torch.float64), 10, eps=1.2e-7)
    2.4e-06
    """
    top = max(float(lam[0]), 0.0) if lam.numel() else 0.0
    solve_eps = float(torch.finfo(lam.dtype).eps)
    moment_eps = solve_eps if eps is None else eps
    return NUMERICAL_RANK_FACTOR * max(d * solve_eps * top, moment_eps * max(top, raw_scale)) + 2 * residual


def check_k_schedule(lam: torch.Tensor, k: int, d: int, *, eps: float | None = None, raw_scale: float = 0.0,
                     residual: float = 0.0) -> None:
    r"""Refuse a user's ``k`` that the leading ``k + 1`` eigenvalues ``lam`` of :math:`S_X` cannot give exactly.

    ``k`` needs :math:`\lambda_{k+1}` above the :func:`numerical_rank` floor (:func:`check_rank_carries`) and
    :math:`\lambda_k - \lambda_{k+1}` above the :func:`tie_tolerance`: at a tie :math:`\beta = \lambda_{k+1}`
    also removes :math:`\lambda_k` and any smaller beta keeps more than ``k`` components. The refusal names the
    nearest attainable ``k`` below, as :func:`convexgan.duality.closed_form.beta_from_k` does.

    Examples
    --------
    >>> check_k_schedule(torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64), 2, 4)
    >>> try:
    ...     check_k_schedule(torch.tensor([3.0, 2.0, 2.0], dtype=torch.float64), 2, 4)
    ... except ValueError as refusal:
    ...     print(str(refusal).split(":")[0])
    k=2 is not attainable
    """
    check_rank_carries(lam, k, d, need=k + 1, eps=eps, raw_scale=raw_scale)
    tol = tie_tolerance(lam, d, eps, raw_scale, residual)
    gaps = (lam[:k] - lam[1 : k + 1]).tolist()
    if gaps[k - 1] <= tol:
        below = [j + 1 for j in range(k - 1) if gaps[j] > tol][-1:]
        nearest = f"{below[0]} (or a larger k past the tie)" if below else "a larger k past the tie"
        raise ValueError(
            f"k={k} is not attainable: lambda_{k} = {float(lam[k - 1])!r} and lambda_{k + 1} = {float(lam[k])!r} "
            f"of S_X are tied (gap <= {tol:.1e}), so beta = lambda_{k + 1} keeps fewer than {k} components and a "
            f"smaller beta more; nearest attainable k: {nearest}"
        )
