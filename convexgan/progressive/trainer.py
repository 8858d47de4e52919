r"""Progressive training (ProCoGAN, docs/theory.md section 7): one closed-form stage per resolution.

At stage ``i`` the images resized to :math:`r_i` (flattened HWC, centred per pixel) have second moment
:math:`S_X`; the stage solves the quadratic-critic problem of :mod:`convexgan.progressive.stage` with its
input :math:`\hat z_i`, keeps :math:`W_i`, and the final samples are pushed through every :math:`W_i`.
The stage itself is solved by one module per mode: :mod:`convexgan.progressive.principled` (default, exact at
every stage) and :mod:`convexgan.progressive.legacy` (the official algorithm, for comparison).

One data pass (:func:`accumulate_moments`, decoding in parallel threads) gives the moments of every resolution
still to train and fills the pixel cache (:mod:`convexgan.progressive.pixels`); a resumed run whose disk cache
matches reads it instead of decoding. ``report.json`` records the seconds of every phase (decode, moments,
solve, grid, report, checkpoint, and what the stage solver records inside ``solve``) for the data pass and for
each stage, and each stage's own peak memory (:mod:`convexgan.progressive.memory`).

The randomness of stage ``i`` (legacy noise rows, sample grids) derives from ``(seed, i)`` only, so a resumed
run ends with the same weights as an uninterrupted one. Each stage writes its sample grid, then ``report.json``,
then its checkpoint (atomically), then ``report.json`` again with the checkpoint's seconds: a stage counts as
finished exactly when its checkpoint exists, and a resumed run trims the report to the finished stages. A
resumed run may also append resolutions: only the new stages are trained, on pixels resized from the recorded
base resolution (:mod:`convexgan.progressive.growth`). As each stage ends, its report entry goes to the
``on_stage`` callback; the ``stages`` bar advances by each stage's expected cost
(:mod:`convexgan.progressive.progress`).
"""

import copy
import math
import time
from pathlib import Path

import torch
from tqdm.auto import tqdm

import convexgan
from convexgan._limits import check_bytes
from convexgan.data import open_images
from convexgan.data.source import available_cores
from convexgan.exceptions import RankDefectWarning
from convexgan.plotting import save_image_grid
from convexgan.progressive import legacy, principled
from convexgan.progressive.checkpoint import save_stage, stage_path
from convexgan.progressive.config import TrainConfig
from convexgan.progressive.device import resolve_device
from convexgan.progressive.distributed import barrier, init_from_environment, world
from convexgan.progressive.eigen import MATRIX_METHODS
from convexgan.progressive.generator import ProgressiveGenerator
from convexgan.progressive.memory import high_water_mark, peak_since, reset_peak
from convexgan.progressive.moments import accumulate_moments
from convexgan.progressive.phases import Phases, phase, recording
from convexgan.progressive.pixels import cache_key, keep_on_disk, start_cache
from convexgan.progressive.plan import choose_path
from convexgan.progressive.progress import StageBar
from convexgan.progressive.run import REPORT, grid_path, open_run, write_json
from convexgan.progressive.seeds import stage_seed

__all__ = ["RankDefectWarning", "TrainConfig", "resolve_device", "train"]

DTYPES = {"float32": torch.float32, "float64": torch.float64}
GRID_SAMPLES = 64


def train(data, out, config=None, **options):
    r"""Train a progressive generator into a run folder.

    Parameters
    ----------
    data : path, ndarray or convexgan.data.ImageSource
        Image folder (CelebA layout accepted), tar archive, ``.npz``/IDX, or array (see
        :func:`convexgan.data.open_images`).
    out : path
        Run folder (created). See :mod:`convexgan.progressive.run` for its content.
    config : TrainConfig or None
        The options; or give them as keywords (``train(data, out, resolutions=(4, 8), k=(3, 5))``), which
        builds ``TrainConfig(**options)``. See :class:`convexgan.progressive.config.TrainConfig` for each.

    Returns
    -------
    ProgressiveGenerator
    """
    if config is None:
        config = TrainConfig(**options)
    elif options:
        raise TypeError(f"give a TrainConfig or keyword options, not both (got config and {sorted(options)})")
    elif not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    device = resolve_device(config.device)
    init_from_environment(device)
    rank, size = world()
    record = config.record(data)
    with open_images(data, n_images=config.n_images, subset=config.subset, seed=config.seed, include=config.include,
                     classes=config.classes, crop=config.crop, attributes=config.attributes,
                     strict=config.strict) as source, \
            open_run(out, record, source, resume=config.resume, rank=rank) as (stages, report):
        return _train_stages(source, Path(out), record, stages, report, device, config)


def _train_stages(source, out, config, stages, report, device, options):
    """Train the stages not finished yet into ``out``; on Ctrl-C a memory pixel cache is kept in ``out``.

    ``options.on_stage(info)`` is called on rank 0 after each checkpoint, with a copy of the stage's report entry.
    """
    rank, size = world()
    resolutions, dtype = config["resolutions"], config["dtype"]
    todo = list(range(len(stages), len(resolutions)))
    if not todo:
        return ProgressiveGenerator(stages, config)
    wanted = [resolutions[i] for i in todo]
    paths = eigen_paths(config, wanted, source.channels, len(source), device, options.cache)
    dense = [r for r in wanted if paths[r] == "dense"]
    sizes = [(r**2 * source.channels) ** 2 for r in dense]
    check_bytes(sum(sizes) * (8 + DTYPES[dtype].itemsize), f"the second moments of resolutions {dense} (d x d "
                f"float64 sums and {dtype} buffers, d = r * r * channels)")
    earlier_peak = high_water_mark() or 0
    moments, data_pass = _data_pass(source, out, config, wanted, device, options, dense)
    data_pass["eigen_paths"] = {str(r): paths[r] for r in wanted}
    report.update(n_images=moments[wanted[0]].n, device=str(device), world_size=size,
                  package_version=convexgan.__version__)
    if not data_pass["cache"]["reused"]:
        report["skipped_images"] = source.skipped
    report.setdefault("skipped_images", 0)
    report.setdefault("moments_seconds", []).append(data_pass["seconds"])
    report.setdefault("data_passes", []).append(data_pass)
    report["peak_memory_bytes"] = max(earlier_peak, data_pass["peak_memory_bytes"])
    pixels = moments[wanted[0]].pixels
    try:
        with StageBar(todo, config, source.channels, device, options.progress and not rank) as bar:
            _solve_stages(todo, stages, moments, report, out, config, device, options, bar)
    except KeyboardInterrupt:
        if pixels is not None and pixels.mode == "memory":
            keep_on_disk(pixels, out)  # so that --resume does not decode again
        raise
    barrier()
    return ProgressiveGenerator(stages, config)


def _solve_stages(todo, stages, moments, report, out, config, device, options, bar):
    """Solve stages ``todo`` in order; each writes its grid, the report, its checkpoint, then the report again."""
    rank, _ = world()
    resolutions, seed = config["resolutions"], config["seed"]
    for i in todo:
        bar.start(i)
        phases, was_reset = _start_measuring(device)
        start = time.perf_counter()
        with recording(phases):
            with phase("solve"):
                stage, info = _solve_stage(i, stages, moments.pop(resolutions[i]), config, device)
            stages.append(stage)
            report["stages"].append(info)
            eigenvalues = info.pop("_eigenvalues")
            if rank == 0:
                with phase("grid"):
                    images = ProgressiveGenerator(stages).sample(GRID_SAMPLES, seed=stage_seed(seed, i), clip=True)
                    save_image_grid(images, grid_path(out, i, resolutions[i]), ncols=8)
                _measured(info, phases, start, was_reset, device, report)
                with phase("report"):
                    write_json(out / REPORT, report)
                with phase("checkpoint"):
                    save_stage(stage_path(out, i, resolutions[i]), stage, eigenvalues=eigenvalues, beta=info["beta"],
                               seed=seed, config=config)
        if rank == 0:
            _measured(info, phases, start, was_reset, device, report)
            write_json(out / REPORT, report)
            if options.on_stage is not None:
                options.on_stage(copy.deepcopy(info))
        bar.finish(i)


def eigen_paths(config, wanted, channels, n, device, cache):
    """The path of each resolution's spectrum: ``{r: 'dense' | 'gram' | 'operator'}``.

    Legacy mode and the matrix eigen-solvers take the ``d x d`` moment; ``'operator'`` and ``'gram'`` take
    their path (they need a pixel cache); ``'auto'`` follows :func:`convexgan.progressive.plan.choose_path`
    with ``n`` the images of the source (``'dense'`` when ``cache='none'``: no pixels are kept).
    """
    method, size = config["eigensolver"], world()[1]
    paths = {}
    for r in wanted:
        i = config["resolutions"].index(r)
        k = config["k"][i] if config["k"] else None
        if config["mode"] == "legacy" or method in MATRIX_METHODS or (method == "auto" and cache == "none"):
            paths[r] = "dense"
        elif method == "auto":
            paths[r] = choose_path(r * r * channels, n, k, device, world_size=size,
                                   itemsize=DTYPES[config["dtype"]].itemsize)
        else:
            paths[r] = method
        if paths[r] != "dense" and cache == "none":
            raise ValueError(f"eigensolver={method!r} reads the pixels again and needs a pixel cache; got cache='none'"
                             f" (use cache='memory', 'disk' or 'auto', or a matrix eigensolver)")
        if paths[r] == "gram" and size > 1:
            raise ValueError(f"eigensolver='gram' needs every image in one process (world size {size}); use "
                             f"'operator' or 'auto' under torchrun")
    return paths


def _data_pass(source, out, config, wanted, device, options, dense=None):
    """Moments of every resolution in ``wanted``, from the pixel cache when a complete one matches, else decoding.

    A decoding pass fills the pixel cache (``options.cache``, see :mod:`convexgan.progressive.pixels`) on the
    way. Returns the moments (each with ``.pixels``: the cache or None) and the pass's report entry.
    """
    rank, size = world()
    key = cache_key(config["data_fingerprint"], crop=config["crop"], base=config["base_resolution"],
                    resolutions=wanted, channels=source.channels, draft=options.jpeg_draft, rank=rank,
                    world_size=size)
    workers = options.workers or max(1, available_cores() // size)
    phases, was_reset = _start_measuring(device)
    start = time.perf_counter()
    with recording(phases):
        pixels, writer = start_cache(options.cache, capacity=len(source.items[rank::size]), resolutions=wanted,
                                     channels=source.channels, folder=out, key=key)
        total = pixels.n if pixels is not None else math.ceil(len(source) / size)
        description = "moments (cached pixels)" if pixels is not None else "decode + moments"
        with tqdm(total=total, desc=description, unit="img", disable=not options.progress or rank) as bar:
            try:
                moments = accumulate_moments(source if pixels is None else pixels, wanted, device=device,
                                             dtype=DTYPES[config["dtype"]], chunk_size=options.chunk_size,
                                             progress=bar, base=config["base_resolution"], workers=workers,
                                             draft=options.jpeg_draft, store=writer, dense=dense)
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
             "workers": workers, "jpeg_draft": options.jpeg_draft,
             "cache": {"mode": pixels.mode if pixels is not None else "none", "requested": options.cache,
                       "reused": reused, "bytes": pixels.nbytes if pixels is not None else 0}}
    entry.update(_peaks(was_reset, device))
    return moments, entry


def _start_measuring(device):
    """A fresh :class:`Phases` and the peak memories reset (``was_reset``: the kernel's peak could be reset)."""
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    return Phases(), reset_peak()


def _peaks(was_reset, device):
    peak, scope = peak_since(was_reset)
    out = {"peak_memory_bytes": peak, "peak_memory_scope": scope}
    if device.type == "cuda":
        out["cuda_peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    return out


def _measured(info, phases, start, was_reset, device, report):
    """Put the stage's phases, wall seconds and peaks into its report entry, and the run's phase totals."""
    info.update(phases=dict(phases.seconds), wall_seconds=time.perf_counter() - start, **_peaks(was_reset, device))
    report["peak_memory_bytes"] = max(report["peak_memory_bytes"], info["peak_memory_bytes"])
    totals = {}
    for part in report.get("data_passes", []) + report["stages"]:
        for name, value in part.get("phases", {}).items():
            totals[name] = totals.get(name, 0.0) + value
    report["phases_seconds"] = totals


def _solve_stage(i, stages, moments, config, device):
    start = time.perf_counter()
    solve = legacy.solve_stage if config["mode"] == "legacy" else principled.solve_stage
    stage, info = solve(i, stages, moments, config, device)
    info.update(seconds=time.perf_counter() - start)
    return stage, info
