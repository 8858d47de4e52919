r"""Progressive training (ProCoGAN, :ref:`theory-progressive`): one closed-form stage per resolution.

At stage ``i`` the images resized to :math:`r_i` (flattened HWC, centred per pixel) have second moment
:math:`S_X`; the stage solves the quadratic-critic problem of :mod:`convexgan.progressive.stages.closed_form` with its
input :math:`\hat z_i`, keeps :math:`W_i`, and the final samples are pushed through every :math:`W_i`.
The stage itself is solved by one module per mode: :mod:`convexgan.progressive.stages.principled` (default, exact at
every stage) and :mod:`convexgan.progressive.stages.legacy` (the official algorithm, for comparison).

One data pass (:func:`accumulate_moments`, decoding in parallel threads) gives the moments of every resolution
still to train and fills the pixel cache (:mod:`convexgan.progressive.pipeline.pixels`); a resumed run whose disk cache
matches reads it instead of decoding. ``report.json`` records the seconds of every phase (decode, moments,
solve, grid, report, checkpoint, and what the stage solver records inside ``solve``) for the data pass and for
each stage, and each stage's own peak memory (:mod:`convexgan.progressive.runtime.memory`).

The randomness of stage ``i`` (legacy noise rows, sample grids) derives from ``(seed, i)`` only, so a resumed
run ends with the same weights as an uninterrupted one. Each stage writes its sample grid, then ``report.json``,
then its checkpoint (atomically), then ``report.json`` again with the checkpoint's seconds: a stage counts as
finished exactly when its checkpoint exists, and a resumed run trims the report to the finished stages. A
resumed run may also append resolutions: only the new stages are trained, on pixels resized from the recorded
base resolution (:mod:`convexgan.progressive.runs.growth`). As each stage ends, its report entry goes to the
``on_stage`` callback; the ``stages`` bar advances by each stage's expected cost
(:mod:`convexgan.progressive.runtime.progress`).
"""

import copy
from collections.abc import Iterator
from contextlib import contextmanager
import dataclasses
from collections.abc import Mapping, Sequence
import math
import time
import os
from pathlib import Path
from typing import Any

import torch
from tqdm.auto import tqdm

import convexgan
from convexgan._limits import check_bytes
from convexgan.data import open_images
from convexgan.data.open import ImageData
from convexgan.data.source import ImageSource, available_cores
from convexgan.exceptions import RankDefectWarning
from convexgan.plotting import save_image_grid
from convexgan.progressive.config import TrainConfig
from convexgan.progressive.model.generator import ProgressiveGenerator, StageWeights
from convexgan.progressive.model.seeds import stage_seed
from convexgan.progressive.pipeline.moments import Moments, accumulate_moments
from convexgan.progressive.pipeline.pixels import cache_key, keep_on_disk, start_cache
from convexgan.progressive.runs.checkpoint import save_stage, stage_path
from convexgan.progressive.runs.folder import CONFIG, REPORT, grid_path, open_run, read_config, write_json
from convexgan.progressive.runs.growth import run_base
from convexgan.progressive.runtime.device import TORCH_DTYPES, resolve_device
from convexgan.progressive.runtime.agreement import check_ranks_agree
from convexgan.progressive.runtime.distributed import barrier, init_from_environment, world
from convexgan.progressive.runtime.memory import high_water_mark, peak_since, reset_peak
from convexgan.progressive.runtime.phases import Phases, phase, recording
from convexgan.progressive.runtime.progress import StageBar
from convexgan.progressive.stages import legacy, principled
from convexgan.progressive.stages.report import StageOutcome
from convexgan.progressive.stages.policy import choose_eigensolver, eigen_path

__all__ = ["RankDefectWarning", "TrainConfig", "resolve_device", "train"]

GRID_SAMPLES = 64


def train(data: ImageData, out: str | os.PathLike[str], config: TrainConfig | None = None,
          **options: Any) -> ProgressiveGenerator:
    r"""Train a progressive generator into a run folder.

    Parameters
    ----------
    data : path, ndarray or convexgan.data.ImageSource
        Image folder (CelebA layout accepted), tar archive, ``.npz``/IDX, or array (see
        :func:`convexgan.data.open_images`).
    out : path
        Run folder (created). See :mod:`convexgan.progressive.runs.folder` for its content.
    config : TrainConfig or None
        The options; or give them as keywords (``train(data, out, resolutions=(4, 8), k=(3, 5))``), which
        builds ``TrainConfig(**options)``. See :class:`convexgan.progressive.config.TrainConfig` for each.

    Returns
    -------
    ProgressiveGenerator

    References
    ----------
    .. [1] A. Sahiner, T. Ergen, B. Ozturkler, B. Bartan, J. Pauly, M. Mardani and M. Pilanci, "Hidden Convexity of
           Wasserstein GANs: Interpretable Generative Models with Closed-Form Solutions", ICLR 2022.
    .. [2] T. Karras, T. Aila, S. Laine and J. Lehtinen, "Progressive Growing of GANs for Improved Quality,
           Stability, and Variation", ICLR 2018.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from convexgan.data import toy_images
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> generator = train(toy_images(60, 8, seed=0), out, resolutions=(4, 8), k=(3, 5), progress=False)
    >>> generator.resolutions
    [4, 8]
    >>> sorted(p.name for p in out.glob("stage*.npz"))
    ['stage00_4x4.npz', 'stage01_8x8.npz']
    """
    if config is None:
        config = TrainConfig(**options)
    elif options:
        raise TypeError(f"give a TrainConfig or keyword options, not both (got config and {sorted(options)})")
    elif not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    if config.background is None and config.resume and (Path(out) / CONFIG).exists():
        config = dataclasses.replace(config, background=read_config(out)["background"])
    device = resolve_device(config.device)
    init_from_environment(device)
    rank, _ = world()
    with open_images(data, n_images=config.n_images, subset=config.subset, seed=config.seed, include=config.include,
                     classes=config.classes, crop=config.crop, attributes=config.attributes,
                     strict=config.strict, background=config.record(data)["background"]) as source:
        previous = read_config(out) if config.resume and (Path(out) / CONFIG).is_file() else None
        record = config.record(data, run_base(config.base_resolution, config.resolutions, config.crop, source.frame,
                                              previous))
        with _agreed(source, record), \
                open_run(out, record, source, resume=config.resume, rank=rank) as (stages, report):
            return _train_stages(source, Path(out), record, stages, report, device, config)


@contextmanager
def _agreed(source: ImageSource, record: dict[str, Any]) -> Iterator[None]:
    """Check, before any collective, that every rank holds the same data and options (one line if not)."""
    if world()[1] > 1:
        from convexgan.data.fingerprint import data_fingerprint
        # the most telling difference first: channels or count, else the fingerprint, else the options
        check_ranks_agree({"channels": source.channels, "n": len(source),
                           "data fingerprint": data_fingerprint(source).summary,
                           "options": {k: v for k, v in record.items() if k != "data"}})
    yield


def _train_stages(source: ImageSource, out: Path, record: dict[str, Any], stages: list[StageWeights],
                  report: dict[str, Any], device: torch.device, config: TrainConfig) -> ProgressiveGenerator:
    """Train the stages not finished yet into ``out``; on Ctrl-C a memory pixel cache is kept in ``out``.

    ``record`` is the run's record (``config.json``), ``config`` the :class:`TrainConfig`;
    ``config.on_stage(info)`` is called on rank 0 after each checkpoint, with a copy of the stage's report entry.
    """
    rank, size = world()
    resolutions, dtype = record["resolutions"], record["dtype"]
    todo = list(range(len(stages), len(resolutions)))
    if not todo:
        return ProgressiveGenerator(stages, record)

    # Plan: the concrete eigen-solver of every stage, decided once.
    wanted = [resolutions[i] for i in todo]
    methods = plan_eigensolvers(record, wanted, source.channels, len(source), device, config.cache)
    dense = [r for r in wanted if eigen_path(methods[r]) == "dense"]
    sizes = [(r**2 * source.channels) ** 2 for r in dense]
    check_bytes(sum(sizes) * (8 + TORCH_DTYPES[dtype].itemsize), f"the second moments of resolutions {dense} (d x d "
                f"float64 sums and {dtype} buffers, d = r * r * channels)")

    # Load the data: one pass gives the moments of every stage to train and fills the pixel cache.
    earlier_peak = high_water_mark() or 0
    moments, data_pass = _data_pass(source, out, record, wanted, device, config, dense)
    data_pass["eigen_paths"] = {str(r): eigen_path(methods[r]) for r in wanted}
    report.update(n_images=moments[wanted[0]].n, device=str(device), world_size=size,
                  package_version=convexgan.__version__)
    if not data_pass["cache"]["reused"]:
        report["skipped_images"] = source.skipped
    report.setdefault("skipped_images", 0)
    report.setdefault("moments_seconds", []).append(data_pass["seconds"])
    report.setdefault("data_passes", []).append(data_pass)
    report["peak_memory_bytes"] = max(earlier_peak, data_pass["peak_memory_bytes"])

    # Solve, save and report each stage.
    pixels = moments[wanted[0]].pixels
    try:
        with StageBar(todo, record, source.channels, [methods[r] for r in wanted], moments[wanted[0]].n,
                      config.progress and not rank) as bar:
            _solve_stages(todo, stages, moments, methods, report, out, record, device, config, bar)
    except KeyboardInterrupt:
        if pixels is not None and pixels.mode == "memory":
            keep_on_disk(pixels, out)  # so that --resume does not decode again
        raise
    barrier()
    return ProgressiveGenerator(stages, record)


def plan_eigensolvers(record: Mapping[str, Any], wanted: Sequence[int], channels: int, n: int, device: torch.device,
                      cache: str) -> dict[int, str]:
    """The concrete eigen-solver of each resolution in ``wanted`` (:func:`~.stages.policy.choose_eigensolver`)."""
    size = world()[1]
    methods: dict[int, str] = {}
    for r in wanted:
        i = record["resolutions"].index(r)
        k = record["k"][i] if record["k"] else None
        methods[r] = choose_eigensolver(record["eigensolver"], r * r * channels, n, k, device, mode=record["mode"],
                                        cache=cache, world_size=size,
                                        itemsize=TORCH_DTYPES[record["dtype"]].itemsize)
    return methods


def _solve_stages(todo: Sequence[int], stages: list[StageWeights], moments: dict[int, Moments],
                  methods: Mapping[int, str], report: dict[str, Any], out: Path, record: dict[str, Any],
                  device: torch.device, config: TrainConfig, bar: StageBar) -> None:
    """Solve stages ``todo`` in order; each writes its grid, the report, its checkpoint, then the report again."""
    rank, _ = world()
    resolutions, seed = record["resolutions"], record["seed"]
    for i in todo:
        bar.start(i)
        phases, was_reset = _start_measuring(device)
        start = time.perf_counter()
        with recording(phases):
            with phase("solve"):
                outcome = _solve_stage(i, stages, moments.pop(resolutions[i]), record, device,
                                       methods[resolutions[i]])
            stages.append(outcome.weights)
            info = outcome.report.row()
            report["stages"].append(info)
            if rank == 0:
                with phase("grid"):
                    images = ProgressiveGenerator(stages).sample(GRID_SAMPLES, seed=stage_seed(seed, i), clip=True)
                    save_image_grid(images, grid_path(out, i, resolutions[i]), ncols=8)
                _measured(info, phases, start, was_reset, device, report)
                with phase("report"):
                    write_json(out / REPORT, report)
                with phase("checkpoint"):
                    save_stage(stage_path(out, i, resolutions[i]), outcome.weights, eigenvalues=outcome.eigenvalues,
                               beta=info["beta"], seed=seed, config=record)
        if rank == 0:
            _measured(info, phases, start, was_reset, device, report)
            write_json(out / REPORT, report)
            if config.on_stage is not None:
                config.on_stage(copy.deepcopy(info))
        bar.finish(i)


def _data_pass(source: ImageSource, out: Path, record: Mapping[str, Any], wanted: list[int], device: torch.device,
               config: TrainConfig, dense: Sequence[int] | None = None) -> tuple[dict[int, Moments], dict[str, Any]]:
    """Moments of every resolution in ``wanted``, from the pixel cache when a complete one matches, else decoding.

    A decoding pass fills the pixel cache (``config.cache``, see :mod:`convexgan.progressive.pipeline.pixels`) on the
    way (``config`` is the :class:`TrainConfig`). Returns the moments (each with ``.pixels``: the cache or None) and the pass's report entry.
    """
    rank, size = world()
    key = cache_key(record["data_fingerprint"], crop=record["crop"], base=record["base_resolution"],
                    resolutions=wanted, channels=source.channels, draft=config.jpeg_draft, rank=rank,
                    world_size=size, background=record["background"])
    workers = config.workers or max(1, available_cores() // size)
    phases, was_reset = _start_measuring(device)
    start = time.perf_counter()
    with recording(phases):
        pixels, writer = start_cache(config.cache, capacity=len(source.items[rank::size]), resolutions=wanted,
                                     channels=source.channels, folder=out, key=key)
        total = pixels.n if pixels is not None else math.ceil(len(source) / size)
        description = "moments (cached pixels)" if pixels is not None else "decode + moments"
        with tqdm(total=total, desc=description, unit="img", disable=not config.progress or rank) as bar:
            try:
                moments = accumulate_moments(source if pixels is None else pixels, wanted, device=device,
                                             dtype=TORCH_DTYPES[record["dtype"]], chunk_size=config.chunk_size,
                                             progress=bar, base=record["base_resolution"], workers=workers,
                                             draft=config.jpeg_draft, store=writer, dense=dense)
            except BaseException:
                if writer is not None:
                    writer.discard()
                raise
        reused = pixels is not None
        if writer is not None:
            with phase("cache_write"):
                pixels = writer.finish()
    for m in moments.values():
        m.pixels = pixels
    seconds = time.perf_counter() - start
    images = pixels.n if pixels is not None else moments[wanted[0]].n
    entry = {"seconds": seconds, "phases": dict(phases.seconds), "resolutions": wanted, "images": images,
             "images_per_second": images / seconds if seconds > 0 else None,
             "workers": workers, "jpeg_draft": config.jpeg_draft, "background": record["background"],
             "alpha_images": None if reused else source.alpha,
             "cache": {"mode": pixels.mode if pixels is not None else "none", "requested": config.cache,
                       "reused": reused, "bytes": pixels.nbytes if pixels is not None else 0}}
    entry.update(_peaks(was_reset, device))
    return moments, entry


def _start_measuring(device: torch.device) -> tuple[Phases, bool]:
    """A fresh :class:`Phases` and the peak memories reset (``was_reset``: the kernel's peak could be reset)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    return Phases(), reset_peak()


def _peaks(was_reset: bool, device: torch.device) -> dict[str, Any]:
    peak, scope = peak_since(was_reset)
    out: dict[str, Any] = {"peak_memory_bytes": peak, "peak_memory_scope": scope}
    if device.type == "cuda":
        out["cuda_peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    return out


def _measured(info: dict[str, Any], phases: Phases, start: float, was_reset: bool, device: torch.device,
              report: dict[str, Any]) -> None:
    """Put the stage's phases, wall seconds and peaks into its report entry, and the run's phase totals."""
    info.update(phases=dict(phases.seconds), wall_seconds=time.perf_counter() - start, **_peaks(was_reset, device))
    report["peak_memory_bytes"] = max(report["peak_memory_bytes"], info["peak_memory_bytes"])
    totals: dict[str, float] = {}
    for part in report.get("data_passes", []) + report["stages"]:
        for name, value in part.get("phases", {}).items():
            totals[name] = totals.get(name, 0.0) + value
    report["phases_seconds"] = totals


def _solve_stage(i: int, stages: list[StageWeights], moments: Moments, record: Mapping[str, Any], device: torch.device,
                 method: str) -> StageOutcome:
    """Solve stage ``i`` in the run's mode; the outcome's report gets the stage's seconds."""
    start = time.perf_counter()
    solve = legacy.solve_stage if record["mode"] == "legacy" else principled.solve_stage
    outcome = solve(i, stages, moments, record, device, method)
    outcome.report.seconds = time.perf_counter() - start
    return outcome
