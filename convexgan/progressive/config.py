r"""The options of one progressive training, gathered and checked in one object.

:class:`TrainConfig` holds every option of :func:`convexgan.progressive.train`. Its :meth:`TrainConfig.record`
is the part that defines the trained weights (written to the run folder's ``config.json``; a resumed run must
have the same record, or extend it with appended resolutions, see :mod:`convexgan.progressive.runs.growth`); the other
options (device, resume, strict, chunk size, workers, pixel cache, progress bars, the ``on_stage`` callback) only
say how the run is carried out. :func:`upgrade_record` reads the records of older versions (crop as a bool, no
subset, include, classes, base_resolution or jpeg_draft) in the current format, so that their run folders still
load and resume.
"""

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from numpy.typing import NDArray

import numpy as np

from convexgan._validation import check_choice, check_int, check_positive
from convexgan.data.alpha import parse_background
from convexgan.data.filters import as_names
from convexgan.data.open import ImageData
from convexgan.data.frames import crop_method
from convexgan.data.subsets import SUBSETS
from convexgan.choices import (
    CACHE_MODES,
    DEFAULT_BACKGROUND,
    DEFAULT_CHUNK_SIZE,
    DEFAULT_LATENT,
    DEFAULT_RESOLUTIONS,
    DEFAULT_SEED,
    EIGENSOLVERS,
    FRESH_RATIO,
    K_CONTINUATION_RATIO,
    LEGACY_BACKGROUND,
    LEGACY_DTYPES,
    MOMENT_DTYPES,
    OFFICIAL_K,
    TRAINING_MODES,
)



@dataclasses.dataclass
class TrainConfig:
    r"""Options of a progressive training (:func:`convexgan.progressive.train`).

    Parameters
    ----------
    resolutions : sequence of int
        Doubling sequence, e.g. ``(4, 8, 16, 32, 64)``.
    k, beta : int, float or sequences, optional
        Kept components or critic regularisation (mean units) per stage; at most one. Default
        (:func:`default_k`): the official ``k = [20, 30, 40, 100, 175]`` truncated to the number of stages, and
        past five stages ``round(175 * 1.75**(t - 5))`` at stage ``t`` (306, 536, ...); recorded in ``config.json``.
    mode : {'principled', 'legacy'}
        Principled (:mod:`convexgan.progressive.stages.principled`, exact at every stage) or the official algorithm
        (:mod:`convexgan.progressive.stages.legacy`).
    n_images : int or None
        Use ``n_images`` images of the data (None: all), chosen by ``subset``.
    latent : int
        Latent columns of the first stage (must be ``>= k_1`` in principled mode).
    base_resolution : int or None
        Every frame is resized to ``base_resolution`` first, then to each stage's resolution (see
        :mod:`convexgan.data.frames`). At least the largest resolution; a run can later grow (resumed with
        resolutions appended, :mod:`convexgan.progressive.runs.growth`) up to it. Default: a resumed run's recorded
        base when it covers the resolutions, else the largest doubling of the largest resolution that fits the
        first frame's smaller side after the crop, capped at ``convexgan.choices.MAX_DEFAULT_BASE`` (128), so that
        a default run can grow up to it.
    crop : {'none', 'center', 'celeba'}
        ``'none'`` (default: the whole frame, squashed with a warning when not square), ``'center'`` (the
        largest centred square) or ``'celeba'`` (the official CelebA box); True / False mean 'celeba' / 'none'.
    attributes : dict or None
        CelebA attribute filter, e.g. ``{"Smiling": True}``.
    subset : {'random', 'first'}
        ``'random'`` (default): a random subset drawn with ``seed``, stable across library versions
        (:mod:`convexgan.data.subsets`); ``'first'``: the first ``n_images`` in sorted order. The run records
        the images it used in ``images.json`` (see :mod:`convexgan.progressive.runs.folder`).
    include : str, sequence of str or None
        Shell-style patterns on the path relative to the folder (or the tar member name) selecting the images,
        before the subset (see :mod:`convexgan.data.filters`).
    classes : str, sequence of str or None
        Class folders selecting the images: an image is kept when any folder on its path inside the data is one
        of them (e.g. CIFAR's ``horse`` keeps ``train/horse/*`` and ``horse/female/*``; :mod:`convexgan.data.filters`).
    background : str or None
        Colour that images with transparency are composited onto before anything else (see
        :mod:`convexgan.data.alpha`): ``'white'``, ``'black'``, ``'grey'``, ``#rrggbb``, ``r,g,b``, or ``'none'``
        (drop the alpha channel, as runs recorded before the option did). Part of the record; None (default):
        ``'white'`` for a new run, the recorded one when resuming (``'none'`` for a folder that records none).
    device : str
        ``'auto'`` (CUDA when available), ``'cpu'``, ``'cuda'`` or ``'cuda:N'`` (GPU ``N``, checked against
        ``torch.cuda.device_count()``).
    dtype : {'float32', 'float64'}
        Dtype of the per-image work and of sampling; eigen-solves, stored weights and certificates are float64.
    seed : int
        Seed of every random choice of the run (the random subset included).
    resume : bool
        Continue a run in ``out`` (same record, or more resolutions appended), skipping its finished stages.
    strict : bool
        Stop at the first unreadable image instead of skipping it.
    noise_rows : int or None
        Legacy mode: noise rows per stage (default: the number of images, as the official code).
    legacy_dtype : {'auto', 'float64', 'float32'}
        Legacy mode: the official code's arithmetic; 'auto' = float64 on CPU (its numpy path), float32 on CUDA
        (its torch path).
    eigensolver : str
        Method for the data eigenpairs (see :mod:`convexgan.progressive.linalg.eigen`): ``'dense'``, ``'eigsh'``,
        ``'lobpcg'``, ``'randomized'`` on the ``d x d`` moment; ``'operator'`` (block Krylov through the cached
        pixels, no ``d x d`` matrix) or ``'gram'`` (the ``n x n`` Gram, one process); ``'auto'`` (default)
        chooses per stage by :func:`convexgan.progressive.stages.policy.choose_eigensolver`. The operator and Gram paths need
        a pixel cache (``cache`` not ``'none'``) and report a rigorous upper bound as the stage certificate
        (:mod:`convexgan.progressive.linalg.certificate`).
    chunk_size : int
        Images decoded per chunk.
    workers : int or None
        Threads decoding images (default: the cores this process may run on, divided among the processes of a
        data-parallel run); the pixels do not depend on it.
    cache : {'auto', 'memory', 'disk', 'none'}
        Pixel cache of the data pass (:mod:`convexgan.progressive.pipeline.pixels`): ``'disk'`` keeps it in the run
        folder, so that a resumed run does not decode again; ``'auto'`` (default) keeps it in memory when it
        takes at most a quarter of ``CONVEXGAN_MAX_BYTES`` (default: physical memory), else on disk; ``'none'``
        keeps no pixels. Every mode but ``'none'`` reuses a complete disk cache of the same data and frames.
    jpeg_draft : bool
        Decode JPEGs at 1/2, 1/4 or 1/8 scale where the frame is at least twice the base resolution (faster;
        changes the pixels slightly, see :mod:`convexgan.data.source`, so it is part of the record).
    fresh_ratio : float
        Principled mode: :math:`c_i^2 / s^2_{\min}`, the variance of the fresh columns relative to the smallest
        input direction coming from the previous stage (default 1/4: they rank below it).
    progress : bool
        Show tqdm progress bars.
    on_stage : callable or None
        Called as ``on_stage(info)`` as each stage ends (its checkpoint written; rank 0 only), with the stage's
        report entry: ``index``, ``resolution``, ``d``, ``k``, ``beta``, ``constraint_value``, ``eigensolver``
        (``method``, ``residual``, ...), ``seconds``, ... (see :mod:`convexgan.progressive.runtime.progress`).
    """

    resolutions: Sequence[int] = DEFAULT_RESOLUTIONS
    k: int | Sequence[int] | None = None
    beta: float | Sequence[float] | None = None
    mode: str = TRAINING_MODES[0]
    n_images: int | None = None
    latent: int = DEFAULT_LATENT
    base_resolution: int | None = None
    crop: str | bool = "none"
    attributes: dict[str, bool] | None = None
    subset: str = "random"
    include: str | Sequence[str] | None = None
    classes: str | Sequence[str] | None = None
    background: str | None = None
    device: str = "auto"
    dtype: str = MOMENT_DTYPES[0]
    seed: int = DEFAULT_SEED
    resume: bool = False
    strict: bool = False
    noise_rows: int | None = None
    legacy_dtype: str = LEGACY_DTYPES[0]
    eigensolver: str = EIGENSOLVERS[0]
    chunk_size: int = DEFAULT_CHUNK_SIZE
    workers: int | None = None
    cache: str = CACHE_MODES[0]
    jpeg_draft: bool = False
    fresh_ratio: float = FRESH_RATIO
    progress: bool = True
    on_stage: Callable[[dict[str, Any]], object] | None = None

    def __post_init__(self) -> None:
        self.resolutions = check_resolutions(self.resolutions)
        self.k, self.beta = check_schedule(self.resolutions, self.k, self.beta)
        check_choice(self.mode, "mode", TRAINING_MODES)
        check_choice(self.dtype, "dtype", MOMENT_DTYPES)
        check_choice(self.eigensolver, "eigensolver", EIGENSOLVERS)
        check_choice(self.legacy_dtype, "legacy_dtype", LEGACY_DTYPES)
        self.latent = check_int(self.latent, "latent", 1, 10**6)
        self.seed = check_int(self.seed, "seed", 0, 2**63 - 1)
        self.chunk_size = check_int(self.chunk_size, "chunk_size", 1, 2**31)
        if self.workers is not None:
            self.workers = check_int(self.workers, "workers", 1, 4096)
        check_choice(self.cache, "cache", CACHE_MODES)
        self.jpeg_draft = bool(self.jpeg_draft)
        self.fresh_ratio = check_positive(self.fresh_ratio, "fresh_ratio")
        if self.base_resolution is not None:
            top = self.resolutions[-1]
            self.base_resolution = check_int(self.base_resolution, "base_resolution", 1, 4096)
            if self.base_resolution < top:
                raise ValueError(f"base_resolution={self.base_resolution} must be at least the largest resolution "
                                 f"{top} (frames are resized to the base first, then to each resolution)")
        if self.on_stage is not None and not callable(self.on_stage):
            raise TypeError(f"on_stage must be a callable taking a stage's report entry, got {self.on_stage!r}")
        if self.noise_rows is not None:
            self.noise_rows = check_int(self.noise_rows, "noise_rows", 1, 10**9)
        if self.n_images is not None:
            self.n_images = check_int(self.n_images, "n_images", 1, 2**62)
        check_choice(self.subset, "subset", SUBSETS)
        self.crop = crop_method(self.crop)
        if self.background is not None:
            self.background = background_name(self.background)
        self.include, self.classes = as_names(self.include, "include"), as_names(self.classes, "classes")
        self.resume, self.strict, self.progress = bool(self.resume), bool(self.strict), bool(self.progress)

    def record(self, data: ImageData, base: int | None = None) -> dict[str, Any]:
        """The options that define the weights, as written to ``config.json`` (``data``: what was trained on;
        ``base``: the base resolution when ``base_resolution`` is None, default the largest resolution; the trainer
        passes :func:`convexgan.progressive.runs.growth.run_base`)."""
        return {
            "data": describe_data(data), "resolutions": self.resolutions, "k": self.k, "beta": self.beta,
            "mode": self.mode, "n_images": self.n_images, "latent": self.latent,
            "base_resolution": self.base_resolution or base or self.resolutions[-1], "crop": self.crop,
            "subset": None if self.n_images is None else self.subset,
            "include": None if self.include is None else list(self.include),
            "classes": None if self.classes is None else list(self.classes), "attributes": self.attributes,
            "dtype": self.dtype, "seed": self.seed, "noise_rows": self.noise_rows,
            "legacy_dtype": self.legacy_dtype, "eigensolver": self.eigensolver, "fresh_ratio": self.fresh_ratio,
            "jpeg_draft": self.jpeg_draft, "background": self.background or DEFAULT_BACKGROUND,
        }


def upgrade_record(record: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded configuration (``config.json``, a checkpoint's) in the current format.

    Older versions recorded ``crop`` as a bool (True: the CelebA box) and had no ``subset``, ``include`` or
    ``classes``: they read the first ``n_images`` images of the whole list; nor ``base_resolution``: their frames
    were resized from the largest resolution; nor ``jpeg_draft``: their JPEGs were fully decoded; nor
    ``background``: they dropped the alpha channel (``'none'``). ``subset`` is
    None when ``n_images`` is None (every image is used, however a subset would be drawn).
    """
    record = dict(record)
    record["crop"] = crop_method(record.get("crop"))
    record.setdefault("subset", None if record.get("n_images") is None else "first")
    record.setdefault("include", None)
    record.setdefault("classes", None)
    record.setdefault("jpeg_draft", False)
    record.setdefault("background", LEGACY_BACKGROUND)
    if isinstance(record.get("resolutions"), list) and record["resolutions"]:
        record.setdefault("base_resolution", max(record["resolutions"]))
    return record


def background_name(value: object) -> str:
    """The background ``value`` as recorded (stripped, lower case); refused unless it names a colour or none."""
    if not isinstance(value, str):
        raise TypeError(f"background must be a string such as 'white', '#rrggbb' or 'r,g,b'; got {value!r}")
    parse_background(value)
    return value.strip().lower()


def check_resolutions(resolutions: Iterable[int]) -> list[int]:
    """The resolutions as a list of ints, refused unless they double at every stage."""
    resolutions = [check_int(r, "resolution", 1, 4096) for r in resolutions]
    if not resolutions:
        raise ValueError("resolutions must list at least one resolution")
    for a, b in zip(resolutions, resolutions[1:]):
        if b != 2 * a:
            raise ValueError(f"resolutions={resolutions} must double at every stage; {b} follows {a}")
    return resolutions


def default_k(stages: int) -> list[int]:
    """The default ``k`` of ``stages`` stages: the official ``[20, 30, 40, 100, 175]`` truncated, continued past five
    stages geometrically by its last ratio (:data:`convexgan.choices.K_CONTINUATION_RATIO`, 1.75), rounded.

    A longer schedule starts with a shorter one, so that a default run grows with the default ``k``. Like any
    ``k``, a value must stay below ``d`` and should stay below the number of images.

    Examples
    --------
    >>> default_k(3), default_k(7)
    ([20, 30, 40], [20, 30, 40, 100, 175, 306, 536])
    """
    official = list(OFFICIAL_K[:stages])
    extra = range(1, stages - len(OFFICIAL_K) + 1)
    return official + [round(OFFICIAL_K[-1] * K_CONTINUATION_RATIO**t) for t in extra]


def check_schedule(resolutions: Sequence[int], k: int | Sequence[int] | NDArray[Any] | None,
                   beta: float | Sequence[float] | NDArray[Any] | None) -> tuple[list[int] | None, list[float] | None]:
    """``(k, beta)`` as per-stage lists (one of them None); the official ``k`` when neither is given."""
    T = len(resolutions)
    if k is not None and beta is not None:
        raise ValueError("give k or beta, not both")
    if k is None and beta is None:
        return default_k(T), None
    values: Any = k if k is not None else beta
    values = list(values) if isinstance(values, (list, tuple, np.ndarray)) else [values] * T
    if len(values) != T:
        name = "k" if k is not None else "beta"
        raise ValueError(f"{name}={values} must have one entry per resolution ({T})")
    if k is not None:
        return [check_int(v, "k", 1, 10**9) for v in values], None
    return None, [check_positive(v, "beta") for v in values]


def describe_data(data: ImageData) -> str:
    """What ``data`` is, for the record: a resolved path, or an array's shape, dtype and sum."""
    if isinstance(data, np.ndarray):
        return f"array {data.shape} {data.dtype} sum {float(np.asarray(data, dtype=np.float64).sum())!r}"
    if isinstance(data, (str, Path)):
        return str(Path(data).resolve())
    return getattr(data, "description", repr(data))
