"""A run folder: ``config.json``, one checkpoint per finished stage, ``report.json``, PNG grids.

Layout::

    RUN/config.json                   the training configuration (JSON), with the data's fingerprint
    RUN/data_files.json               the file list the fingerprint summarises (folders and tar archives)
    RUN/images.json                   which images the run uses: their indices in the sorted candidate list
                                      and that list's SHA-256 (see write_images; full-set runs too)
    RUN/stage00_4x4.npz ...           one checkpoint per finished stage (see convexgan.progressive.runs.checkpoint)
    RUN/report.json                   per-stage certificates and timings (see below)
    RUN/samples_stage00_4x4.png ...   a grid of fresh samples per stage (clipped to [0, 1])
    RUN/.convexgan.lock               while a training writes the folder (see convexgan.progressive.runs.lock)
    RUN/pixels_rank0of1.json          with cache='disk' (or 'auto' on disk, or a memory cache when the training
                                      was interrupted with Ctrl-C): the pixel cache's manifest, written
                                      last; its key (data fingerprint, crop, base resolution, resolutions,
                                      channels, JPEG draft, process share) and image count
    RUN/pixels_rank0of1_4x4.u8 ...    the cached 8-bit pixels per resolution, n x (r*r*C) in C order (HWC rows),
                                      one set per process under torchrun (rank0of2, rank1of2, ...); see
                                      convexgan.progressive.pipeline.pixels. They may be deleted: a later run decodes again

``report.json`` holds ``config``, ``n_images``, ``skipped_images``, ``device``, ``world_size``, the
run's peak resident memory ``peak_memory_bytes``, ``phases_seconds`` (each phase's seconds over the run),
``data_passes`` (one per training call: ``seconds``, ``phases`` with ``decode`` or ``cache_read`` (the seconds
the pass waited for pixels: decoding runs in threads beside the sums), ``moments``, ``cache_write``; ``images``, ``images_per_second``, ``workers``, ``cache``, peaks) and ``stages``
(one per finished stage: the certificate entries, ``seconds`` of the solve, ``wall_seconds``, ``phases`` with
``solve`` (and inside it ``eigen_solve``, ``certificate`` where the solver records them), ``grid``, ``report``,
``checkpoint``; ``peak_memory_bytes`` with its ``peak_memory_scope`` (``stage``: since the stage began;
``process``: the process peak, where the kernel's peak cannot be reset) and ``cuda_peak_memory_bytes`` on CUDA).

:func:`open_run` is how a training takes a folder: one writer at a time (the lock), leftovers of killed writes
removed, a resumed run checked against the configuration and the data it started with, and a failed fresh
run that finished no stage leaves nothing behind. ``config.json`` and ``report.json`` are validated here, in
one place (:func:`read_config`, :func:`read_report`), so that a file of the wrong JSON type or structure is a
``ValueError`` naming it.
"""

import json
import math
import numbers
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from convexgan._files import atomic_write_text, remove_partial_writes
from convexgan.exceptions import OptionError
from convexgan.data.fingerprint import Fingerprint, data_fingerprint, describe_changes
from convexgan.progressive.runs.checkpoint import load_stage, stage_path
from convexgan.progressive.config import upgrade_record
from convexgan.progressive.runtime.distributed import barrier
from convexgan.progressive.model.generator import ProgressiveGenerator, StageWeights
from convexgan.progressive.runs.growth import DATA_KEYS, differences, refusal
from convexgan.progressive.runs.lock import LOCK, run_lock

if TYPE_CHECKING:
    from convexgan.data.source import ImageSource

CONFIG = "config.json"
REPORT = "report.json"
DATA_FILES = "data_files.json"
IMAGES = "images.json"
IMAGES_ABOUT = ("the images this run trains on: 'indices' are their positions (from 0) in the sorted list of "
                "candidate images (relative paths, tar member names or array positions, after the include, class "
                "and attribute filters), 'candidates_sha256' is SHA-256 of that list (names, each followed by a "
                "newline; for arrays, of the images' content), 'subset' and 'seed' how they were chosen")


def grid_path(folder: str | os.PathLike[str], index: int, resolution: int) -> Path:
    """Path of stage ``index``'s sample grid."""
    return Path(folder) / f"samples_stage{index:02d}_{resolution}x{resolution}.png"


REQUIRED = ("resolutions", "mode", "seed")
REPORT_STAGE_KEYS = ("index", "resolution", "d", "k", "beta", "constraint_value", "eigensolver", "seconds")


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; ``ValueError`` naming the file when it is not valid JSON or nests deeper than the parser
    can follow (``RecursionError`` inside :mod:`json`)."""
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err})") from None
    except RecursionError:
        raise ValueError(f"{path} is not a convexgan record: its JSON is nested deeper than Python's recursion "
                         f"limit ({sys.getrecursionlimit()}) can decode") from None


def read_config(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """The configuration of a run folder (``FileNotFoundError`` when missing, ``ValueError`` when unreadable).

    It must be a JSON object with ``resolutions`` (a non-empty list of positive integers), ``mode`` (a string),
    ``seed`` (an integer) and, when present, ``k`` and ``beta`` lists with one entry per resolution. A record of
    an older version is returned in the current format (:func:`convexgan.progressive.config.upgrade_record`).
    """
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a convexgan run folder: {CONFIG} is missing")
    config = read_json(path)
    if not isinstance(config, dict):
        raise ValueError(f"{path} is not a convexgan run configuration: a JSON object is expected, got "
                         f"{type(config).__name__} {json.dumps(config)[:80]}")
    missing = [key for key in REQUIRED if key not in config]
    if missing:
        raise ValueError(f"{path} is not a convexgan run configuration: it lacks {', '.join(missing)}")
    resolutions = config["resolutions"]
    problems = []
    if not isinstance(resolutions, list) or not resolutions or not all(_is_int(r) and r >= 1 for r in resolutions):
        problems.append(f"resolutions must be a non-empty list of positive integers, got {resolutions!r}")
    if not isinstance(config["mode"], str):
        problems.append(f"mode must be a string, got {config['mode']!r}")
    if not _is_int(config["seed"]):
        problems.append(f"seed must be an integer, got {config['seed']!r}")
    for key, valid in (("k", lambda v: _is_int(v) and v >= 1), ("beta", lambda v: _is_number(v) and 0 < v < math.inf)):
        value = config.get(key)
        if value is not None and not (isinstance(value, list) and isinstance(resolutions, list)
                                      and len(value) == len(resolutions) and all(valid(v) for v in value)):
            what = "integer >= 1" if key == "k" else "finite number > 0"
            problems.append(f"{key} must be null or a list of one {what} per resolution, got {value!r:.80}")
    if problems:
        raise ValueError(f"{path} is not a convexgan run configuration: {'; '.join(problems)}")
    try:
        return upgrade_record(config)
    except ValueError as err:
        raise ValueError(f"{path} is not a convexgan run configuration: {err}") from None


def write_images(folder: str | os.PathLike[str], selection: Mapping[str, Any]) -> None:
    """Write ``images.json`` (which images the run uses, see :data:`IMAGES_ABOUT`) unless it exists.

    ``selection`` is the source's :attr:`convexgan.data.ImageSource.selection`. The indices are written on
    one line (a full CelebA run lists 202,599 of them).
    """
    path = Path(folder) / IMAGES
    if not path.exists():
        record = {"about": IMAGES_ABOUT, **selection, "count": len(selection["indices"])}
        atomic_write_text(path, json.dumps(record, sort_keys=True) + "\n")


def read_images(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The run's ``images.json`` (None when the run predates it); ``ValueError`` naming it when malformed."""
    path = Path(folder) / IMAGES
    if not path.is_file():
        return None
    record = read_json(path)
    expected = "an object with 'candidates' (an integer >= 0), 'indices' (integers from 0 below it) and " \
               "'candidates_sha256' (a string)"
    if not isinstance(record, dict):
        raise ValueError(f"{path} is not a convexgan image record: got {type(record).__name__}; expected {expected}")
    candidates, indices = record.get("candidates"), record.get("indices")
    problem = None
    if not _is_count(candidates):
        problem = f"field 'candidates' is {candidates!r:.80}"
    elif not isinstance(indices, list):
        problem = f"field 'indices' is {indices!r:.80}"
    elif not isinstance(record.get("candidates_sha256"), str):
        problem = f"field 'candidates_sha256' is {record.get('candidates_sha256')!r:.80}"
    else:
        bad = [i for i in indices if not (_is_count(i) and i < candidates)]
        if bad:
            problem = f"field 'indices' holds {bad[0]!r:.80} (candidates {candidates})"
    if problem:
        raise ValueError(f"{path} is not a convexgan image record: {problem}; expected {expected}")
    return record


def read_report(path: str | os.PathLike[str], finished: int) -> dict[str, Any] | None:
    """The report of a run being resumed, trimmed to its ``finished`` stages (``None`` when there is none).

    It must be a JSON object whose ``stages`` is a list of at least ``finished`` objects, each with the keys
    of a stage's entry (``index``, ``resolution``, ``d``, ``k``, ``beta``, ...).
    """
    path = Path(path)
    if not path.is_file():
        return None
    report = read_json(path)
    if not isinstance(report, dict):
        raise ValueError(f"{path} is not a convexgan report: a JSON object is expected, got "
                         f"{type(report).__name__} {json.dumps(report)[:80]}")
    stages = report.get("stages", [])
    if not isinstance(stages, list) or not all(isinstance(s, dict) for s in stages):
        raise ValueError(f"{path} is not a convexgan report: stages must be a list of objects, got {stages!r:.80}")
    if len(stages) < finished:
        raise ValueError(f"{path} lists {len(stages)} stage(s) but {finished} checkpoint(s) are finished; remove "
                         f"{path} to resume without the earlier stages' report entries")
    incomplete = [s.get("index", i) for i, s in enumerate(stages[:finished]) if not set(REPORT_STAGE_KEYS) <= set(s)]
    if incomplete:
        raise ValueError(f"{path} is not a convexgan report: the entries of stage(s) {incomplete} lack some of "
                         f"{', '.join(REPORT_STAGE_KEYS)}")
    problem = _report_field_problem(report, stages[:finished])
    if problem:
        raise ValueError(f"{path} is not a convexgan report: {problem}")
    return {**report, "stages": stages[:finished]}


def _is_count(value: object) -> bool:
    return _is_int(value) and value >= 0  # type: ignore[operator]  # _is_int makes it an integer


def _is_seconds(value: object) -> bool:
    return _is_number(value) and 0 <= value < math.inf  # type: ignore[operator]  # _is_number makes it a number


def _phases_problem(where: str, part: Mapping[str, Any]) -> str | None:
    phases = part.get("phases", {})
    if not (isinstance(phases, dict) and all(_is_seconds(v) for v in phases.values())):
        return f"field {where} 'phases' is {phases!r:.80}; expected an object of phase name -> seconds >= 0"
    return None


def _report_field_problem(report: Mapping[str, Any], stages: list[dict[str, Any]]) -> str | None:
    """The first field of a resumed report that the resumed run reads back and that has the wrong type or range,
    named with its value and what is expected (``None`` when all are fine)."""
    for field in ("skipped_images", "peak_memory_bytes"):
        if field in report and not _is_count(report[field]):
            return f"field {field!r} is {report[field]!r:.80}; expected an integer >= 0"
    for field, item in (("moments_seconds", "seconds >= 0"), ("data_passes", "objects")):
        value = report.get(field, [])
        valid = _is_seconds if field == "moments_seconds" else (lambda v: isinstance(v, dict))
        if not (isinstance(value, list) and all(valid(v) for v in value)):
            return f"field {field!r} is {value!r:.80}; expected a list of {item}"
    for i, part in enumerate(report.get("data_passes", [])):
        problem = _phases_problem(f"'data_passes'[{i}]", part)
        if problem:
            return problem
    kinds: dict[str, tuple[Any, str]] = {
        "index": (_is_count, "an integer >= 0"), "resolution": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
        "d": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"), "k": (lambda v: _is_int(v) and v >= 1, "an integer >= 1"),
        "beta": (lambda v: v is None or _is_number(v), "a number or null"),
        "constraint_value": (lambda v: v is None or _is_number(v), "a number or null"),
        "seconds": (_is_seconds, "seconds >= 0"),
    }
    for i, entry in enumerate(stages):
        for key, (valid, expected) in kinds.items():
            if not valid(entry[key]):
                return f"field 'stages'[{i}] {key!r} is {entry[key]!r:.80}; expected {expected}"
        problem = _phases_problem(f"'stages'[{i}]", entry)
        if problem:
            return problem
    return None


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _is_listing_row(row: object) -> bool:
    """A row of ``data_files.json``: ``[relative path, size in bytes, modification time in ns]``."""
    return isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and _is_int(row[1]) and _is_int(row[2])


def write_json(path: str | os.PathLike[str], value: object) -> None:
    """Write ``value`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def finished_stages(folder: str | os.PathLike[str],
                    config: Mapping[str, Any]) -> tuple[list[StageWeights], list[dict[str, Any]]]:
    """Load the checkpoints of the stages finished so far, in order, stopping at the first missing one.

    Returns
    -------
    stages : list of StageWeights
    metas : list of dict
    """
    stages: list[StageWeights] = []
    metas: list[dict[str, Any]] = []
    for index, resolution in enumerate(config["resolutions"]):
        path = stage_path(folder, index, resolution)
        if not path.exists():
            break
        stage, meta = load_stage(path, config)
        stages.append(stage)
        metas.append(meta)
    return stages, metas


def load_generator(folder: str | os.PathLike[str]) -> ProgressiveGenerator:
    """Load a (finished or partly finished) run as a :class:`ProgressiveGenerator`.

    Parameters
    ----------
    folder : path
        A run folder written by :func:`convexgan.progressive.train`.

    Returns
    -------
    ProgressiveGenerator
        ``.sample(n, seed=..., stage=None)`` returns ``(n, r, r, C)`` float32 images in pixel units;
        ``.resolutions`` lists the finished stages' resolutions.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import numpy as np
    >>> from convexgan.data import toy_images
    >>> from convexgan.progressive import train
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "run"
    >>> trained = train(toy_images(60, 8, seed=0), out, resolutions=(4, 8), k=(3, 5), progress=False)
    >>> generator = load_generator(out)
    >>> bool(np.array_equal(generator.sample(4, seed=1), trained.sample(4, seed=1)))
    True
    """
    config = read_config(folder)
    stages, _ = finished_stages(folder, config)
    if not stages:
        raise ValueError(f"run folder {folder} has no finished stage yet")
    return ProgressiveGenerator(stages, config)


@contextmanager
def open_run(out: str | os.PathLike[str], config: dict[str, Any], source: "ImageSource", *, resume: bool,
             rank: int = 0) -> Iterator[tuple[list[StageWeights], dict[str, Any]]]:
    """Take the run folder ``out`` for one training of ``config`` on ``source``; yield ``(stages, report)``.

    Adds ``config["data_fingerprint"]`` (see :mod:`convexgan.data.fingerprint`). Rank 0 creates the folder,
    holds its lock (:func:`convexgan.progressive.runs.lock.run_lock`) until the block ends and removes the
    temporary files of killed writes. A folder holding a run is refused unless ``resume``; a resumed run must
    have the same configuration (or the same with resolutions appended, which then replaces ``config.json``:
    :mod:`convexgan.progressive.runs.growth`) and the same data (the difference is named), and yields its finished
    stages and its report trimmed to them. A fresh run writes ``config.json`` (and ``data_files.json``);
    ``images.json`` is written when missing (runs of older versions get it on resume). When the block raises
    an ``Exception`` before any checkpoint of a fresh run exists, the files this run created are removed (and
    the folder, if it created it); an interrupt (``KeyboardInterrupt``) keeps them for ``--resume``.

    Parameters
    ----------
    out : path
    config : dict
        The training configuration (:func:`convexgan.progressive.train`).
    source : convexgan.data.ImageSource
        The open data source (already known to be readable).
    resume : bool
    rank : int
        This process's rank in a data-parallel run (only rank 0 writes).
    """
    out = Path(out)
    fingerprint = data_fingerprint(source)
    config["data_fingerprint"] = fingerprint.summary
    created = not out.exists()
    before = {p.name for p in out.iterdir()} if out.is_dir() else set()
    try:
        with _own_folder(out) if rank == 0 else nullcontext():
            try:
                started = _start(out, config, fingerprint, resume, rank)
                if rank == 0:
                    write_images(out, source.selection)
                yield started
            except Exception:
                if rank == 0 and CONFIG not in before and not any(out.glob("stage*.npz")):
                    for path in out.iterdir():
                        if path.name not in before and path.name != LOCK and path.is_file():
                            path.unlink()
                raise
    except Exception:
        if rank == 0 and created and out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        raise


@contextmanager
def _own_folder(out: Path) -> Iterator[None]:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"cannot create the run folder out={str(out)!r}: {err}") from None
    with run_lock(out):
        remove_partial_writes(out)
        yield


def _start(out: Path, config: dict[str, Any], fingerprint: Fingerprint, resume: bool,
           rank: int) -> tuple[list[StageWeights], dict[str, Any]]:
    exists = (out / CONFIG).exists()
    barrier()
    if exists:
        if not resume:
            held = f"run folder {out} already holds a run; pass"
            raise OptionError(f"{held} resume=True or another folder", f"{held} --resume or another --out")
        previous = read_config(out)
        changed = differences(previous, config)  # appended resolutions are not a difference (growth)
        options = [key for key in changed if key not in DATA_KEYS]  # first: they explain new data
        if not options:
            check_same_data(out, previous, fingerprint)
        if changed:
            raise refusal(out, previous, config, options or changed)
        stages, _ = finished_stages(out, config)
        report = read_report(out / REPORT, len(stages))
        if rank == 0 and previous != config:
            write_json(out / CONFIG, config)
        barrier()
        return stages, {**report, "config": config} if report is not None else {"config": config, "stages": []}
    if rank == 0:
        try:
            write_json(out / CONFIG, config)
            if fingerprint.entries:
                write_json(out / DATA_FILES, fingerprint.entries)
        except OSError as err:
            raise ValueError(f"cannot create the run folder out={str(out)!r}: {err}") from None
    barrier()
    return [], {"config": config, "stages": []}


def check_same_data(out: Path, previous: Mapping[str, Any], fingerprint: Fingerprint) -> None:
    """Refuse to resume ``out`` when its recorded data fingerprint differs from ``fingerprint``, saying how."""
    recorded = previous.get("data_fingerprint")
    if not isinstance(recorded, dict) or recorded == fingerprint.summary:
        return
    what = f"{recorded.get('count')} -> {fingerprint.summary.get('count')} item(s)"
    listing = out / DATA_FILES
    if recorded.get("method") == fingerprint.summary["method"] and fingerprint.entries and listing.is_file():
        try:
            old = read_json(listing)
        except (OSError, ValueError):
            old = None  # the listing only words the message: an unreadable one leaves the count
        if isinstance(old, list) and all(_is_listing_row(row) for row in old):
            what = describe_changes(old, fingerprint.entries)
    elif recorded.get("method") != fingerprint.summary["method"]:
        what = f"fingerprint method {recorded.get('method')!r} -> {fingerprint.summary['method']!r}"
    else:
        what += f", SHA-256 {str(recorded.get('sha256'))[:12]}... -> {fingerprint.summary.get('sha256', '')[:12]}..."
    raise ValueError(
        f"cannot resume {out}: its data changed since the run started ({fingerprint.summary['method']}): {what}; "
        f"train into another folder, or restore the data"
    )
