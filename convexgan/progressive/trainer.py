r"""Progressive training (ProCoGAN, docs/theory.md section 7): one closed-form stage per resolution.

At stage ``i`` the images resized to :math:`r_i` (flattened HWC, centred per pixel) have second moment
:math:`S_X`; the stage solves the quadratic-critic problem of :mod:`convexgan.progressive.stage` with its
input :math:`\hat z_i`, keeps :math:`W_i`, and the final samples are pushed through every :math:`W_i`.
The stage itself is solved by one module per mode: :mod:`convexgan.progressive.principled` (default, exact at
every stage) and :mod:`convexgan.progressive.legacy` (the official algorithm, for comparison).

The randomness of stage ``i`` (legacy noise rows, sample grids) derives from ``(seed, i)`` only, so a resumed
run ends with the same weights as an uninterrupted one. Each stage writes its sample grid, then ``report.json``,
then its checkpoint (atomically, last): a stage counts as finished exactly when its checkpoint exists, and a
resumed run trims the report to the finished stages. A resumed run may also append resolutions: only the new
stages are trained, on pixels resized from the recorded base resolution (:mod:`convexgan.progressive.growth`).
As each stage ends, its report entry goes to the ``on_stage`` callback; the ``stages`` bar advances by each
stage's expected cost (:mod:`convexgan.progressive.progress`).
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
from convexgan.exceptions import RankDefectWarning
from convexgan.plotting import save_image_grid
from convexgan.progressive import legacy, principled
from convexgan.progressive.checkpoint import save_stage, stage_path
from convexgan.progressive.config import TrainConfig
from convexgan.progressive.device import resolve_device
from convexgan.progressive.distributed import barrier, init_from_environment, world
from convexgan.progressive.generator import ProgressiveGenerator
from convexgan.progressive.memory import PeakSampler
from convexgan.progressive.moments import accumulate_moments
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
        return _train_stages(source, Path(out), record, stages, report, device, config.chunk_size, config.progress,
                             config.on_stage)


def _train_stages(source, out, config, stages, report, device, chunk_size, progress, on_stage=None):
    """Train the stages not finished yet; each writes its grid, then the report, then its checkpoint into ``out``.

    ``on_stage(info)`` is called on rank 0 after each checkpoint, with a copy of the stage's report entry.
    """
    rank, size = world()
    resolutions, seed, dtype = config["resolutions"], config["seed"], config["dtype"]
    todo = list(range(len(stages), len(resolutions)))
    if not todo:
        return ProgressiveGenerator(stages, config)
    sizes = [(resolutions[i] ** 2 * source.channels) ** 2 for i in todo]
    check_bytes(sum(sizes) * (8 + DTYPES[dtype].itemsize), f"the second moments of resolutions "
                f"{[resolutions[i] for i in todo]} (d x d float64 sums and {dtype} buffers, d = r * r * channels)")
    start = time.perf_counter()
    with tqdm(total=math.ceil(len(source) / size), desc="moments", unit="img", disable=not progress or rank) as bar:
        moments = accumulate_moments(source, [resolutions[i] for i in todo], device=device, dtype=DTYPES[dtype],
                                     chunk_size=chunk_size, progress=bar, base=config["base_resolution"])
    report.update(n_images=moments[resolutions[todo[0]]].n, skipped_images=source.skipped, device=str(device),
                  world_size=size, package_version=convexgan.__version__)
    report.setdefault("moments_seconds", []).append(time.perf_counter() - start)
    with StageBar(todo, config, source.channels, device, progress and not rank) as bar:
        for i in todo:
            bar.start(i)
            stage, info = _solve_stage(i, stages, moments[resolutions[i]], config, device)
            stages.append(stage)
            report["stages"].append(info)
            eigenvalues = info.pop("_eigenvalues")
            if rank == 0:
                images = ProgressiveGenerator(stages).sample(GRID_SAMPLES, seed=stage_seed(seed, i), clip=True)
                save_image_grid(images, grid_path(out, i, resolutions[i]), ncols=8)
                write_json(out / REPORT, report)
                save_stage(stage_path(out, i, resolutions[i]), stage, eigenvalues=eigenvalues, beta=info["beta"],
                           seed=seed, config=config)
                if on_stage is not None:
                    on_stage(copy.deepcopy(info))
            bar.finish(i)
    barrier()
    return ProgressiveGenerator(stages, config)


def _solve_stage(i, stages, moments, config, device):
    start = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    solve = legacy.solve_stage if config["mode"] == "legacy" else principled.solve_stage
    with PeakSampler() as memory:
        stage, info = solve(i, stages, moments, config, device)
    info.update(seconds=time.perf_counter() - start, peak_memory_bytes=memory.peak, peak_memory_scope=memory.scope)
    if device.type == "cuda":
        info["cuda_peak_memory_bytes"] = torch.cuda.max_memory_allocated(device)
    return stage, info
