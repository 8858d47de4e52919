r"""The options of one progressive training, gathered and checked in one object.

:class:`TrainConfig` holds every option of :func:`convexgan.progressive.train`. Its :meth:`TrainConfig.record`
is the part that defines the trained weights (written to the run folder's ``config.json``; a resumed run must
have the same record); the other options (device, resume, strict, chunk size, progress bars) only say how the
run is carried out.
"""

import dataclasses
from pathlib import Path

import numpy as np

from convexgan._validation import check_choice, check_int, check_positive

OFFICIAL_K = (20, 30, 40, 100, 175)
FRESH_RATIO = 0.25
MODES = ("principled", "legacy")
DTYPES = ("float32", "float64")
LEGACY_DTYPES = ("auto", "float64", "float32")


@dataclasses.dataclass
class TrainConfig:
    r"""Options of a progressive training (:func:`convexgan.progressive.train`).

    Parameters
    ----------
    resolutions : sequence of int
        Doubling sequence, e.g. ``(4, 8, 16, 32, 64)``.
    k, beta : int, float or sequences, optional
        Kept components or critic regularisation (mean units) per stage; at most one. Default: the official
        ``k = [20, 30, 40, 100, 175]`` truncated to the number of stages.
    mode : {'principled', 'legacy'}
        Principled (:mod:`convexgan.progressive.principled`, exact at every stage) or the official algorithm
        (:mod:`convexgan.progressive.legacy`).
    n_images : int or None
        Use ``n_images`` images of the data.
    latent : int
        Latent columns of the first stage (must be ``>= k_1`` in principled mode).
    crop : bool
        Official CelebA centre crop.
    attributes : dict or None
        CelebA attribute filter, e.g. ``{"Smiling": True}``.
    device : str
        ``'auto'`` (CUDA when available), ``'cpu'``, ``'cuda'`` or ``'cuda:N'`` (GPU ``N``, checked against
        ``torch.cuda.device_count()``).
    dtype : {'float32', 'float64'}
        Dtype of the per-image work and of sampling; eigen-solves, stored weights and certificates are float64.
    seed : int
        Seed of every random choice of the run.
    resume : bool
        Continue a run in ``out`` (same record), skipping its finished stages.
    strict : bool
        Stop at the first unreadable image instead of skipping it.
    noise_rows : int or None
        Legacy mode: noise rows per stage (default: the number of images, as the official code).
    legacy_dtype : {'auto', 'float64', 'float32'}
        Legacy mode: the official code's arithmetic; 'auto' = float64 on CPU (its numpy path), float32 on CUDA
        (its torch path).
    eigensolver : str
        Method for the data eigenpairs (see :mod:`convexgan.progressive.eigen`).
    chunk_size : int
        Images decoded per chunk.
    fresh_ratio : float
        Principled mode: :math:`c_i^2 / s^2_{\min}`, the variance of the fresh columns relative to the smallest
        input direction coming from the previous stage (default 1/4: they rank below it).
    progress : bool
        Show tqdm progress bars.
    """

    resolutions: tuple = (4, 8, 16, 32, 64)
    k: object = None
    beta: object = None
    mode: str = "principled"
    n_images: object = None
    latent: int = 48
    crop: bool = False
    attributes: object = None
    device: str = "auto"
    dtype: str = "float32"
    seed: int = 0
    resume: bool = False
    strict: bool = False
    noise_rows: object = None
    legacy_dtype: str = "auto"
    eigensolver: str = "auto"
    chunk_size: int = 256
    fresh_ratio: float = FRESH_RATIO
    progress: bool = True

    def __post_init__(self):
        from convexgan.progressive.eigen import METHODS

        self.resolutions = check_resolutions(self.resolutions)
        self.k, self.beta = check_schedule(self.resolutions, self.k, self.beta)
        check_choice(self.mode, "mode", MODES)
        check_choice(self.dtype, "dtype", DTYPES)
        check_choice(self.eigensolver, "eigensolver", METHODS)
        check_choice(self.legacy_dtype, "legacy_dtype", LEGACY_DTYPES)
        self.latent = check_int(self.latent, "latent", 1, 10**6)
        self.seed = check_int(self.seed, "seed", 0, 2**63 - 1)
        self.chunk_size = check_int(self.chunk_size, "chunk_size", 1, 2**31)
        self.fresh_ratio = check_positive(self.fresh_ratio, "fresh_ratio")
        if self.noise_rows is not None:
            self.noise_rows = check_int(self.noise_rows, "noise_rows", 1, 10**9)
        self.crop, self.resume, self.strict, self.progress = (
            bool(self.crop), bool(self.resume), bool(self.strict), bool(self.progress))

    def record(self, data):
        """The options that define the weights, as written to ``config.json`` (``data``: what was trained on)."""
        return {
            "data": describe_data(data), "resolutions": self.resolutions, "k": self.k, "beta": self.beta,
            "mode": self.mode, "n_images": self.n_images, "latent": self.latent, "crop": self.crop,
            "attributes": self.attributes, "dtype": self.dtype, "seed": self.seed, "noise_rows": self.noise_rows,
            "legacy_dtype": self.legacy_dtype, "eigensolver": self.eigensolver, "fresh_ratio": self.fresh_ratio,
        }


def check_resolutions(resolutions):
    """The resolutions as a list of ints, refused unless they double at every stage."""
    resolutions = [check_int(r, "resolution", 1, 4096) for r in resolutions]
    if not resolutions:
        raise ValueError("resolutions must list at least one resolution")
    for a, b in zip(resolutions, resolutions[1:]):
        if b != 2 * a:
            raise ValueError(f"resolutions={resolutions} must double at every stage; {b} follows {a}")
    return resolutions


def check_schedule(resolutions, k, beta):
    """``(k, beta)`` as per-stage lists (one of them None); the official ``k`` when neither is given."""
    T = len(resolutions)
    if k is not None and beta is not None:
        raise ValueError("give k or beta, not both")
    if k is None and beta is None:
        if T > len(OFFICIAL_K):
            raise ValueError(f"the default k {list(OFFICIAL_K)} covers {len(OFFICIAL_K)} stages; give k for {T}")
        return list(OFFICIAL_K[:T]), None
    values = k if k is not None else beta
    values = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values] * T
    if len(values) != T:
        name = "k" if k is not None else "beta"
        raise ValueError(f"{name}={values} must have one entry per resolution ({T})")
    if k is not None:
        return [check_int(v, "k", 1, 10**9) for v in values], None
    return None, [check_positive(v, "beta") for v in values]


def describe_data(data):
    """What ``data`` is, for the record: a resolved path, or an array's shape, dtype and sum."""
    if isinstance(data, np.ndarray):
        return f"array {data.shape} {data.dtype} sum {float(np.asarray(data, dtype=np.float64).sum())!r}"
    if isinstance(data, (str, Path)):
        return str(Path(data).resolve())
    return getattr(data, "description", repr(data))
