r"""The one eigen-path policy: which method computes a stage's spectrum, decided once per stage.

:func:`choose_eigensolver` turns the ``eigensolver`` option into the concrete method of each stage, as
scikit-learn's PCA resolves ``svd_solver='auto'`` once in ``_fit``; the eigen-solvers of
:mod:`convexgan.progressive.linalg` take that method and know nothing of this policy. A matrix method
(``'dense'``, ``'eigsh'``, ``'lobpcg'``, ``'randomized'``) reads the ``d x d`` moment, ``'operator'`` and
``'gram'`` read the pixels again. For ``'auto'``, the path comes from ``(d, n, k, device, free memory)``
(:func:`choose_path`), and on the ``d x d`` path the matrix method from ``d``
(:func:`~convexgan.progressive.linalg.dense.matrix_method`): ``'dense'`` when ``d <= 1024`` on the CPU or
``d <= 16384`` on CUDA, else ``'eigsh'``. The paths:

- ``'dense'`` (the moment :math:`S_X` accumulated in the data pass, then a matrix eigen-solver) when
  ``d <= 4096`` on the CPU or ``d <= 16384`` on CUDA, and its memory fits. Up to there the ``d x d`` work is
  cheap: forming :math:`S_X` costs :math:`n d^2` float32 flops and a dense or ARPACK solve of a matrix of at
  most 134 MB is quick. Above it the ``d x d`` work dominates: at ``d = 12,288`` ARPACK streams the 1.2 GB
  matrix a few hundred times (50 s for 176 pairs on an idle 2-core CPU, after a 24 s moments pass), and at
  ``d = 49,152`` the float64 moment alone is 19 GB. On CUDA ``eigh`` of a ``16384 x 16384`` matrix takes
  seconds.
- ``'gram'`` (:math:`K = \frac1n X_c X_c^T`) when the run has one process, ``n <= d``, ``n <= 16 k`` and
  its memory fits: forming :math:`K` costs :math:`2 n^2 d` flops, the operator about
  :math:`4 n d \cdot 10 k` (its block Krylov multiplied 9.8 to 9.9 columns per wanted pair to reach its
  tolerances on CelebA 10k at 32 x 32 and 64 x 64), so the Gram pays when :math:`n < 20 k`; the margin
  leaves room for the ``n x n`` eigen-solve.
- ``'operator'`` (block Krylov through :class:`~convexgan.progressive.pipeline.operator.DataOperator`) otherwise:
  time :math:`O(n d k)`, memory independent of ``n``.

Crossover measured on this package's 2-core test machine while other jobs ran (load average 3.5 to 4;
indicative only), CelebA 10k, on arrays of the cached uint8 pixels, back to back (``/tmp`` scripts timing
:func:`~convexgan.progressive.linalg.eigen.top_eigenpairs` after a float32 moment, and
:func:`~convexgan.progressive.linalg.eigen.operator_eigenpairs`): at ``d = 3072`` (32 x 32), ``k + 1 = 101``, the
dense path took 3.5 s (1.6 s float32 moment, 1.9 s ARPACK) and the operator 8.9 s (987 columns in 14 passes,
5.1 s of them in the passes); at ``d = 12,288`` (64 x 64), ``k + 1 = 176``, the dense path took 114.2 s
(23.3 s moment, 90.9 s ARPACK) and the operator 55.9 s (1,741 columns in 14 passes, 30.5 s in the passes).
At a lighter moment (load average 1.7) the operator took 12.9 s at 64 x 64 (10.1 s in the passes); the
dense path's best was 68.1 s (11.8 s moment, 56.3 s ARPACK, load about 3). Hence the moment up to
``d = 4096`` and the operator above it on the CPU. End to end on the idle machine, ``python benchmarks/scale.py``
with ``--eigensolver auto`` and ``--eigensolver eigsh`` (CelebA 10k, 4 -> 64) measured 27.2 s and 78.7 s (README).

Memory of each path (bytes; ``s`` the itemsize of the moment dtype, ``q = k + max(8, k // 4)`` the block,
``b`` the chunk rows, ``min(2^22 / d, n)`` by default), not counting the uint8 pixels (``n d``, the pixel cache):

.. math::

    \text{dense}: (8 + s) d^2 + 8 d^2 \qquad
    \text{gram}: 16 n^2 + 16 d q + 8 b d \qquad
    \text{operator}: 120\, q d + 8 b d

(dense: the float64 sums and the ``s``-byte buffer, then a float64 copy for the solver; gram: ``K`` and its
solver's copy; operator: the search space of up to ``3 q`` columns and its image, twice while they are extended, and
three blocks of ``q`` columns: Ritz vectors, their images, one product). They are
checked with :func:`convexgan._limits.check_bytes` before the work starts (:func:`check_path_memory`).
When ``k`` is not known in advance (a ``beta`` schedule) the estimate uses ``k = 32``, the first block
size; the block grows with the pairs found above ``beta``.
"""

import torch

from convexgan._limits import check_bytes, max_bytes
from convexgan._validation import check_choice
from convexgan.choices import EIGENSOLVERS, MATRIX_METHODS
from convexgan.progressive.linalg.dense import matrix_method
from convexgan.progressive.pipeline.operator import CHUNK_ELEMENTS

PATHS = ("dense", "gram", "operator")
DENSE_MAX_D = {"cpu": 4096, "cuda": 16384}
GRAM_PAIRS_FACTOR = 16
UNKNOWN_K = 32


def block_size(k: int) -> int:
    """Ritz pairs refined per step of the operator's block Krylov for ``k`` wanted pairs."""
    return k + max(8, k // 4)


def path_bytes(path: str, d: int, n: int, k: int | None, itemsize: int = 4) -> int:
    """Working memory in bytes of ``path`` (formulas of the module docstring; the uint8 pixels excluded)."""
    check_choice(path, "path", PATHS)
    k = UNKNOWN_K if k is None else k
    q = min(block_size(k), d)
    b = max(1, min(CHUNK_ELEMENTS // d, n))
    if path == "dense":
        return (8 + itemsize) * d * d + 8 * d * d
    if path == "gram":
        return 16 * n * n + 16 * d * q + 8 * b * d
    return 120 * q * d + 8 * b * d


def free_memory(device: torch.device | str) -> int:
    """Bytes available: CUDA free memory on a GPU, else :func:`convexgan._limits.max_bytes`."""
    device = torch.device(device)
    if device.type == "cuda":
        return int(torch.cuda.mem_get_info(device)[0])
    return max_bytes()


def choose_path(d: int, n: int, k: int | None, device: torch.device | str = "cpu", *, world_size: int = 1,
                free_bytes: int | None = None, itemsize: int = 4, dense_allowed: bool = True) -> str:
    """The path ``eigensolver='auto'`` takes for one stage (see the module docstring).

    Parameters
    ----------
    d, n : int
        Dimension and number of images (over all processes).
    k : int or None
        Wanted pairs (``None`` for a ``beta`` schedule).
    device : torch.device or str
    world_size : int
        Processes (the Gram needs every image in one process).
    free_bytes : int or None
        Memory available; default :func:`free_memory`.
    itemsize : int
        Bytes of the moment dtype (4 for float32, 8 for float64).
    dense_allowed : bool
        False when the ``d x d`` moment is not available (the run keeps pixels only for this stage).

    Returns
    -------
    str
        ``'dense'``, ``'gram'`` or ``'operator'``.
    """
    device = torch.device(device)
    free = free_memory(device) if free_bytes is None else free_bytes
    wanted = UNKNOWN_K if k is None else k
    if dense_allowed and d <= DENSE_MAX_D.get(device.type, DENSE_MAX_D["cpu"]) \
            and path_bytes("dense", d, n, k, itemsize) <= free:
        return "dense"
    if world_size == 1 and n <= d and n <= GRAM_PAIRS_FACTOR * wanted and path_bytes("gram", d, n, k) <= free:
        return "gram"
    return "operator"


def check_path_memory(path: str, d: int, n: int, k: int | None, what: str, itemsize: int = 4) -> int:
    """:func:`convexgan._limits.check_bytes` on :func:`path_bytes`, naming the stage ``what``."""
    nbytes = path_bytes(path, d, n, k, itemsize)
    return check_bytes(nbytes, f"{what}: the {path!r} eigen-path at d = {d}, n = {n}, k = {k} "
                               f"(by the formula of convexgan.progressive.stages.policy)")


def choose_eigensolver(eigensolver: str, d: int, n: int, k: int | None, device: torch.device | str = "cpu", *,
                       mode: str = "principled", cache: str = "auto", world_size: int = 1,
                       free_bytes: int | None = None, itemsize: int = 4) -> str:
    """The concrete eigen-solver of one stage: the only place where ``eigensolver='auto'`` is decided.

    Parameters
    ----------
    eigensolver : str
        The option (:data:`~convexgan.choices.EIGENSOLVERS`).
    d, n : int
        The stage's dimension ``r * r * channels`` and the number of images (over all processes).
    k : int or None
        Kept components (``None`` for a ``beta`` schedule).
    device : torch.device or str
    mode : str
        ``'legacy'`` stages always read the ``d x d`` moment (the official algorithm).
    cache : str
        The pixel cache mode; ``'none'`` keeps no pixels, so only the ``d x d`` path is possible.
    world_size : int
        Processes (the Gram needs every image in one process).
    free_bytes : int or None
        Memory available (default :func:`free_memory`).
    itemsize : int
        Bytes of the moment dtype.

    Returns
    -------
    str
        A matrix method (``'dense'``, ``'eigsh'``, ``'lobpcg'``, ``'randomized'``: the ``d x d`` path), ``'gram'``
        or ``'operator'``.

    Raises
    ------
    ValueError
        ``'operator'`` or ``'gram'`` with ``cache='none'``, or ``'gram'`` with more than one process.

    Examples
    --------
    >>> choose_eigensolver("auto", 768, 10_000, 40)
    'dense'
    >>> choose_eigensolver("auto", 3072, 10_000, 100, free_bytes=2**34)
    'eigsh'
    >>> choose_eigensolver("auto", 12288, 2_000, 175, free_bytes=2**34)
    'gram'
    """
    check_choice(eigensolver, "eigensolver", EIGENSOLVERS)
    if mode == "legacy" or eigensolver in MATRIX_METHODS or (eigensolver == "auto" and cache == "none"):
        path = "dense"
    elif eigensolver == "auto":
        path = choose_path(d, n, k, device, world_size=world_size, free_bytes=free_bytes, itemsize=itemsize)
    else:
        path = eigensolver
    if path != "dense" and cache == "none":
        raise ValueError(f"eigensolver={eigensolver!r} reads the pixels again and needs a pixel cache; got "
                         f"cache='none' (use cache='memory', 'disk' or 'auto', or a matrix eigensolver)")
    if path == "gram" and world_size > 1:
        raise ValueError(f"eigensolver='gram' needs every image in one process (world size {world_size}); use "
                         f"'operator' or 'auto' under torchrun")
    if path != "dense":
        return path
    return eigensolver if eigensolver in MATRIX_METHODS else matrix_method(d, device)


def eigen_path(method: str) -> str:
    """The path of a concrete method: ``'dense'`` (the ``d x d`` moment), ``'gram'`` or ``'operator'``."""
    return "dense" if method in MATRIX_METHODS else method
