r"""Top eigenpairs of a symmetric positive semi-definite matrix, with the accuracy measured.

Methods (``method=``):

- ``'dense'``: ``torch.linalg.eigh`` of the whole matrix (exact to rounding; :math:`O(d^3)`).
- ``'eigsh'``: ARPACK Lanczos (``scipy.sparse.linalg.eigsh``) on the float64 matrix, on the CPU.
- ``'lobpcg'``: ``torch.lobpcg`` (block method; runs on the matrix's device).
- ``'randomized'``: randomized subspace iteration with ``q`` columns and 2 power iterations
  (``torch.svd_lowrank``), the official code's choice at 64 x 64; not exact.
- ``'auto'``: ``'dense'`` when ``d <= 1024`` on the CPU or ``d <= 16384`` on CUDA, else ``'eigsh'`` (for a
  matrix; for a :class:`~convexgan.progressive.operator.DataOperator` the policy of
  :mod:`convexgan.progressive.plan`).

Through a :class:`~convexgan.progressive.operator.DataOperator` (no ``d x d`` matrix):

- ``'operator'``: block Krylov with thick restarts and Rayleigh-Ritz (:func:`krylov_eigenpairs`), each product
  :math:`S_X Q` one pass over the pixels.
- ``'gram'``: the ``n x n`` Gram matrix :math:`K = \frac1n X_c X_c^T` (when ``n < d``), its eigenpairs
  :math:`K u = \lambda u` give :math:`v = X_c^T u / \sqrt{n \lambda}`, refined by one Rayleigh-Ritz step
  through the operator (:func:`gram_eigenpairs`).

Dense CPU solves up to ``d = 2048`` run on one thread: on a shared 2-core machine ``torch.linalg.eigh`` at
``d = 768`` took 5.3 s with 2 threads and 0.09 s with 1 (OpenMP threads waiting for busy cores).

Every call returns the residual :math:`\max_j \|S v_j - \lambda_j v_j\|_2` so that the accuracy is known.
Eigenvalues are in descending order, eigenvectors are columns with deterministic signs (largest-magnitude
entry positive), everything float64.
"""

import warnings
from contextlib import contextmanager

import numpy as np
import scipy.sparse.linalg
import torch

from convexgan._validation import check_choice, check_int
from convexgan.exceptions import ConvergenceWarning

METHODS = ("auto", "dense", "eigsh", "lobpcg", "randomized", "operator", "gram")
MATRIX_METHODS = ("dense", "eigsh", "lobpcg", "randomized")
OPERATOR_METHODS = ("operator", "gram")
TOLERANCE = 1e-10
LAST_TOLERANCE = 1e-8
WELL_CONDITIONED = 1e-3


def resolve_method(method, d, device):
    """The concrete matrix method ``'auto'`` stands for at dimension ``d`` on ``device``.

    ``'operator'`` and ``'gram'`` need the pixels; given the ``d x d`` matrix they stand for ``'auto'``.
    """
    check_choice(method, "eigensolver", METHODS)
    if method in MATRIX_METHODS:
        return method
    limit = 16384 if torch.device(device).type == "cuda" else 1024
    return "dense" if d <= limit else "eigsh"


SINGLE_THREAD_UP_TO = 2048


@contextmanager
def _threads_for(d, device):
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
def seeded(seed, device):
    """Run with torch's global generators (CPU and ``device``) seeded, restoring their state afterwards.

    ``torch.svd_lowrank`` draws its random test matrix from the global generator; this makes it reproducible.
    """
    device = torch.device(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else [], device_type=device.type):
        torch.manual_seed(seed)
        yield


def _fix_signs(V):
    pivot = V.abs().argmax(0)
    signs = torch.sign(V[pivot, torch.arange(V.shape[1], device=V.device)])
    signs[signs == 0] = 1
    return V * signs


def eigen_residual(S, lam, V):
    r"""Return :math:`\max_j \|S v_j - \lambda_j v_j\|_2` (0 for no pairs)."""
    if V.shape[1] == 0:
        return 0.0
    return float(torch.linalg.vector_norm(S @ V - V * lam, dim=0).max())


def _start_block(d, q, device):
    generator = torch.Generator().manual_seed(0)
    return torch.randn(d, q, generator=generator, dtype=torch.float64).to(device)


def top_eigenpairs(S, k, method="auto"):
    """The ``k`` largest eigenpairs of a symmetric PSD matrix.

    Parameters
    ----------
    S : torch.Tensor (d, d) or DataOperator
        Symmetric; converted to float64. An operator is solved by :func:`operator_eigenpairs`.
    k : int
        ``1 <= k <= d`` (``k < d / 3`` for ``'lobpcg'``).
    method : str
        See the module docstring.

    Returns
    -------
    lam : torch.Tensor (k,) float64, descending
    V : torch.Tensor (d, k) float64
    info : dict
        ``method`` (concrete), ``residual`` (absolute) and ``relative_residual`` (divided by ``lam[0]``).
    """
    if not isinstance(S, torch.Tensor):
        return operator_eigenpairs(S, k, method)
    S = S.to(torch.float64)
    d = S.shape[0]
    k = check_int(k, "k", 1, d)
    concrete = resolve_method(method, d, S.device)
    if concrete == "dense":
        with _threads_for(d, S.device):
            lam, V = torch.linalg.eigh(S)
        lam, V = lam.flip(0)[:k], V.flip(1)[:, :k]
    elif concrete == "eigsh":
        if k >= d - 1:
            return top_eigenpairs(S, k, "dense")
        v0 = _start_block(d, 1, "cpu")[:, 0].numpy()
        lam_np, V_np = scipy.sparse.linalg.eigsh(S.cpu().numpy(), k=k, which="LA", v0=v0)
        order = np.argsort(lam_np)[::-1]
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


def eigenpairs_above(S, beta, method="auto", start=32):
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
        lam, V, info = top_eigenpairs(S, q, method)
        if float(lam[-1]) <= beta or q == d:
            k = int((lam > beta).sum())
            return lam[: k + 1], V[:, : k + 1], info
        q = min(2 * q, d)


def symmetric_norm(S, V, C, method="auto"):
    r"""Spectral norm :math:`\|D\|_2` of :math:`D = S - V C V^T` in float64 (``V`` orthonormal columns).

    Small problems (``'dense'`` per :func:`resolve_method`): the eigenvalues of ``D``. Large ones, without forming
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
    method : str
        Eigen-solver policy (only ``'dense'`` versus the rest matters).
    """
    S = S.to(torch.float64)
    V = V.to(device=S.device, dtype=torch.float64)
    C = C.to(device=S.device, dtype=torch.float64)
    d = S.shape[0]
    if resolve_method(method, d, S.device) == "dense" or d <= 2:
        D = S - V @ C @ V.T
        with _threads_for(d, S.device):
            return float(torch.linalg.eigvalsh((D + D.T) / 2).abs().max())
    SV = S @ V
    M = V.T @ SV
    A = M - C
    norm_A = float(torch.linalg.eigvalsh((A + A.T) / 2).abs().max())
    norm_E = float(torch.linalg.matrix_norm(SV - V @ M, 2))
    S_np, V_np = S.cpu().numpy(), V.cpu().numpy()

    def deflated(x):
        y = x - V_np @ (V_np.T @ x)
        y = S_np @ y
        return y - V_np @ (V_np.T @ y)

    operator = scipy.sparse.linalg.LinearOperator((d, d), matvec=deflated, dtype=np.float64)
    v0 = _start_block(d, 1, "cpu")[:, 0].numpy()
    norm_B = float(scipy.sparse.linalg.eigsh(operator, k=1, which="LA", v0=v0, return_eigenvectors=False)[0])
    return max(norm_A, norm_B) + norm_E


def _orthonormal_complement(W, Q, drop=1e-8):
    r"""An orthonormal basis of the part of :math:`\operatorname{span}(W)` orthogonal to ``Q``.

    Columns are normalised, projected out of ``Q`` twice (classical Gram-Schmidt, twice is enough), and the
    directions whose singular value falls below ``drop`` (already in ``span(Q)``) are dropped. The left singular
    vectors are orthonormal, and orthogonal to ``Q`` to :math:`\epsilon / \sigma_{\min}`; when a kept
    :math:`\sigma` is below :data:`WELL_CONDITIONED` they are projected and orthonormalised once more.
    """
    norms = torch.linalg.vector_norm(W, dim=0)
    W = W[:, norms > 0] / norms[norms > 0]
    for _ in range(2):
        if Q is not None and Q.shape[1]:
            W = W - Q @ (Q.T @ W)
    if W.shape[1] == 0:
        return W
    U, sigma, _ = torch.linalg.svd(W, full_matrices=False)
    keep = sigma > drop
    U = U[:, keep]
    if Q is None or not Q.shape[1] or not bool((sigma[keep] <= WELL_CONDITIONED).any()):
        return U
    U = U - Q @ (Q.T @ U)
    return torch.linalg.qr(U)[0]


def krylov_eigenpairs(A, k, *, tol=TOLERANCE, tol_last=None, block=None, start=None, max_basis=None,
                      max_passes=500):
    r"""The ``k`` largest eigenpairs of a symmetric PSD operator by block Krylov with thick restarts.

    ``A`` needs ``A.shape == (d, d)`` and ``A.matmul(V)`` for a ``(d, q)`` float64 block. The search space
    :math:`Q` (orthonormal), its image :math:`AQ` and the projection :math:`H = Q^T A Q` (extended by the new
    block's rows and columns, ``d x basis x block`` flops per step) are kept; every step does a Rayleigh-Ritz
    projection

    .. math::  Q^T A Q = Y \Theta Y^T, \qquad x_j = Q y_j, \qquad r_j = (AQ) y_j - \theta_j x_j ,

    and, until :math:`\|r_j\|_2 \le \mathrm{tol}\,\theta_1` for ``j <= k``, extends :math:`Q` by the
    orthonormalised residuals of the unconverged wanted Ritz pairs (one product, that is one pass over the
    data, per step); the ``block - k`` guard pairs are kept through restarts, which speeds up the convergence
    of the last wanted ones. Residuals lie in :math:`A\,\operatorname{span}(Q)`, so the space is the block
    Krylov space of the start block (block Lanczos with full re-orthogonalisation). When :math:`Q` would exceed
    ``max_basis`` columns it restarts from the first ``block`` Ritz vectors (their images :math:`(AQ)Y` are
    kept, so a restart costs no pass). The start block is ``start`` completed by the seeded Gaussian block of
    :func:`_start_block` (reproducible across library versions).

    The residuals are measured from the stored products :math:`AQ` (each computed by one product; after restarts
    recombined in float64, so they equal :math:`A x_j - \theta_j x_j` to rounding,
    :math:`O(\epsilon\,\theta_1\,\text{basis})`).

    Parameters
    ----------
    A : operator (see above)
    k : int
        ``1 <= k <= d``.
    tol : float
        Relative residual :math:`\|A x_j - \theta_j x_j\| / \theta_1` required of every returned pair.
    tol_last : float or None
        Also require :math:`\|A x_j - \theta_j x_j\| \le \mathrm{tol\_last}\,\theta_k` (relative to the
        smallest wanted Ritz value, which is :math:`\beta` for a stage): the certificate's excess over 1 is
        about :math:`2\|E\|_2 / \beta`, so this keeps it near ``tol_last`` whatever :math:`\lambda_1 / \beta`.
    block : int or None
        Ritz pairs refined per step; default ``k + max(8, k // 4)`` (the guard pairs speed convergence of the
        last wanted ones).
    start : torch.Tensor (d, s) or None
        Warm start (e.g. the Ritz vectors of an earlier solve).
    max_basis : int or None
        Largest search space; default ``3 * block`` (memory ``2 * 8 * d * max_basis`` bytes for ``Q``, ``AQ``).
    max_passes : int
        Products before giving up with a :class:`~convexgan.exceptions.ConvergenceWarning`.

    Returns
    -------
    lam : torch.Tensor (k,) float64, descending
    V : torch.Tensor (d, k) float64, orthonormal, deterministic signs
    info : dict
        ``method``, ``residual`` (largest absolute), ``relative_residual`` (divided by ``lam[0]``),
        ``residuals`` (per pair, absolute), ``passes`` and ``columns`` (products and columns multiplied), and
        the private ``_ritz = (X, AX)``: all ``block`` Ritz vectors (descending) and their images.
    """
    d = A.shape[0]
    k = check_int(k, "k", 1, d)
    device = getattr(A, "device", torch.device("cpu"))
    block = min(d, block or k + max(8, k // 4))
    max_basis = min(d, max(max_basis or 3 * block, block + 1))
    X = _start_block(d, block, device)
    if start is not None:
        start = start.to(device=device, dtype=torch.float64)[:, :block]
        X = torch.cat([start, X[:, start.shape[1]:]], 1)
    Q = _orthonormal_complement(X, None)
    AQ = A.matmul(Q)
    passes, columns = 1, Q.shape[1]
    H = Q.T @ AQ
    while True:
        theta, Y = torch.linalg.eigh((H + H.T) / 2)
        theta, Y = theta.flip(0), Y.flip(1)
        m = min(block, Q.shape[1])
        X, AX = Q @ Y[:, :m], AQ @ Y[:, :m]
        residuals = torch.linalg.vector_norm(AX - X * theta[:m], dim=0)
        scale = max(float(theta[0]), float(torch.finfo(torch.float64).tiny))
        threshold = tol * scale if tol_last is None else min(tol * scale, tol_last * max(float(theta[k - 1]), 0.0))
        open_ = torch.nonzero(residuals[:k] > threshold).flatten()
        if open_.numel() == 0 or Q.shape[1] >= d:
            break
        if passes >= max_passes:
            warnings.warn(f"block Krylov stopped after {passes} products with residual "
                          f"{float(residuals[:k].max()):.3g} > {threshold:.3g} among the top {k} pairs",
                          ConvergenceWarning, stacklevel=2)
            break
        if Q.shape[1] + open_.numel() > max_basis:
            Q, AQ, H = X, AX, Y[:, :m].T @ H @ Y[:, :m]
        W = _orthonormal_complement(AX[:, open_] - X[:, open_] * theta[open_], Q)
        if W.shape[1] == 0:
            break
        AW = A.matmul(W)
        QAW = Q.T @ AW
        H = torch.cat([torch.cat([H, QAW], 1), torch.cat([QAW.T, W.T @ AW], 1)], 0)
        Q, AQ = torch.cat([Q, W], 1), torch.cat([AQ, AW], 1)
        passes, columns = passes + 1, columns + W.shape[1]
    lam, V = theta[:k], _fix_signs(X[:, :k])
    signs = torch.sign((V * X[:, :k]).sum(0))
    AX = torch.cat([AX[:, :k] * signs, AX[:, k:]], 1)
    residual = float(residuals[:k].max())
    return lam, V, {"method": "operator", "residual": residual, "relative_residual": residual / scale,
                    "residuals": residuals[:k].tolist(), "passes": passes, "columns": columns,
                    "_ritz": (torch.cat([V, X[:, k:]], 1), AX)}


def _check_operator_method(method):
    check_choice(method, "eigensolver", METHODS)
    if method in MATRIX_METHODS:
        raise ValueError(f"eigensolver={method!r} needs the d x d moment; a DataOperator takes 'operator', 'gram' "
                         f"or 'auto'")


def operator_eigenpairs(A, k, method="operator", *, tol=TOLERANCE, tol_last=LAST_TOLERANCE, start=None):
    r"""The ``k`` largest eigenpairs of a :class:`~convexgan.progressive.operator.DataOperator`.

    ``method``: ``'operator'`` (:func:`krylov_eigenpairs`), ``'gram'`` (:func:`gram_eigenpairs`) or ``'auto'``
    (``'gram'`` when :func:`convexgan.progressive.plan.choose_path` says so, else ``'operator'``). Same returns as
    :func:`krylov_eigenpairs`; ``info['passes']`` counts the passes of this solve (the operator's statistics
    pass excluded). The residuals reach ``tol`` relative to :math:`\lambda_1` and ``tol_last`` relative to
    the smallest wanted eigenvalue.
    """
    _check_operator_method(method)
    if method == "auto":
        from convexgan.progressive.distributed import world
        from convexgan.progressive.plan import choose_path

        path = choose_path(A.d, A.n, k, A.device, world_size=world()[1], dense_allowed=False)
        method = "gram" if path == "gram" else "operator"
    if method == "gram":
        return gram_eigenpairs(A, k)
    return krylov_eigenpairs(A, k, tol=tol, tol_last=tol_last, start=start)


def operator_eigenpairs_above(A, beta, method="operator", start=32, *, tol=TOLERANCE):
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
            X, AX = info["_ritz"]
            info = dict(info, passes=passes, columns=columns,
                        residuals=info["residuals"][: k + 1], residual=max(info["residuals"][: k + 1]))
            info["relative_residual"] = info["residual"] / float(lam[0])
            return lam[: k + 1], V[:, : k + 1], info
        previous, q = info["_ritz"][0], min(2 * q, A.d)


def gram_eigenpairs(A, k):
    r"""Top eigenpairs of :math:`S_X` from the ``n x n`` Gram matrix (one process, ``k < n``).

    With :math:`X_c` the centred rows, :math:`S_X = \frac1n X_c^T X_c` and :math:`K = \frac1n X_c X_c^T` share
    their nonzero eigenvalues; :math:`K u = \lambda u` gives the unit eigenvector
    :math:`v = X_c^T u / \sqrt{n \lambda}` of :math:`S_X`. Passes: one to form :math:`K` (by column blocks,
    :math:`2 n^2 d` flops), one for :math:`X_c^T U`, one for :math:`S_X Q` with :math:`Q` the orthonormalised
    :math:`V`, whose Rayleigh-Ritz step gives the returned pairs and their residuals (measured through the
    operator). Memory: :math:`8 n^2` bytes for :math:`K` plus its eigen-solver's workspace.

    Returns
    -------
    As :func:`krylov_eigenpairs` (``method='gram'``).
    """
    from convexgan.progressive.distributed import world

    if world()[1] > 1:
        raise ValueError("eigensolver='gram' needs every image in one process; under torchrun use 'operator'")
    n, d = A.pixels.shape
    k = check_int(k, "k", 1, min(n - 1, d))
    width = max(1, (1 << 22) // n)
    K = torch.zeros(n, n, dtype=torch.float64, device=A.device)
    for j in range(0, d, width):
        P = torch.from_numpy(np.array(A.pixels[:, j : j + width])).to(A.device)
        Xj = P.to(torch.float64).div_(255.0).sub_(A.mean[j : j + width])
        K.addmm_(Xj, Xj.T)
    K.div_(n)
    A.passes += 1
    q = min(k + max(8, k // 4), n)
    mu, U, _ = top_eigenpairs((K + K.T) / 2, q)
    del K
    mu = mu.clamp_min(float(torch.finfo(torch.float64).tiny))
    V = torch.zeros(d, q, dtype=torch.float64, device=A.device)
    row = 0
    for Xc in A.centred_rows():
        V.addmm_(Xc.T, U[row : row + Xc.shape[0]])
        row += Xc.shape[0]
    A.passes += 1
    V /= torch.sqrt(n * mu)
    Q = torch.linalg.qr(V)[0]
    AQ = A.matmul(Q)
    H = Q.T @ AQ
    theta, Y = torch.linalg.eigh((H + H.T) / 2)
    theta, Y = theta.flip(0), Y.flip(1)
    X, AX = Q @ Y, AQ @ Y
    residuals = torch.linalg.vector_norm(AX - X * theta, dim=0)
    lam, V = theta[:k], _fix_signs(X[:, :k])
    signs = torch.sign((V * X[:, :k]).sum(0))
    AX = torch.cat([AX[:, :k] * signs, AX[:, k:]], 1)
    residual = float(residuals[:k].max())
    return lam, V, {"method": "gram", "residual": residual, "relative_residual": residual / float(theta[0]),
                    "residuals": residuals[:k].tolist(), "passes": 3, "columns": q,
                    "_ritz": (torch.cat([V, X[:, k:]], 1), AX)}
