"""A run folder: ``config.json``, one checkpoint per finished stage, ``report.json``, PNG grids.

Layout::

    RUN/config.json                   the training configuration (JSON)
    RUN/stage00_4x4.npz ...           one checkpoint per finished stage (see convexgan.progressive.checkpoint)
    RUN/report.json                   per-stage certificates and timings
    RUN/samples_stage00_4x4.png ...   a grid of fresh samples per stage (clipped to [0, 1])
"""

import json
from pathlib import Path

from convexgan.progressive.checkpoint import atomic_write_text, load_stage, stage_path
from convexgan.progressive.generator import ProgressiveGenerator

CONFIG = "config.json"
REPORT = "report.json"


def grid_path(folder, index, resolution):
    """Path of stage ``index``'s sample grid."""
    return Path(folder) / f"samples_stage{index:02d}_{resolution}x{resolution}.png"


REQUIRED = ("resolutions", "mode", "seed")


def read_json(path):
    """Read a JSON file; ``ValueError`` naming the file when it is not valid JSON."""
    try:
        return json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"{path} is not valid JSON ({err})") from None


def read_config(folder):
    """The configuration of a run folder (``FileNotFoundError`` when missing, ``ValueError`` when unreadable)."""
    path = Path(folder) / CONFIG
    if not path.is_file():
        raise FileNotFoundError(f"{folder} is not a convexgan run folder: {CONFIG} is missing")
    config = read_json(path)
    missing = [key for key in REQUIRED if not isinstance(config, dict) or key not in config]
    if missing:
        raise ValueError(f"{path} is not a convexgan run configuration: it lacks {', '.join(missing)}")
    return config


def write_json(path, value):
    """Write ``value`` as indented JSON, atomically."""
    atomic_write_text(path, json.dumps(value, indent=2, sort_keys=True) + "\n")


def finished_stages(folder, config):
    """Load the checkpoints of the stages finished so far, in order, stopping at the first missing one.

    Returns
    -------
    stages : list of StageWeights
    metas : list of dict
    """
    stages, metas = [], []
    for index, resolution in enumerate(config["resolutions"]):
        path = stage_path(folder, index, resolution)
        if not path.exists():
            break
        stage, meta = load_stage(path, config)
        stages.append(stage)
        metas.append(meta)
    return stages, metas


def load_generator(folder):
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
    """
    config = read_config(folder)
    stages, _ = finished_stages(folder, config)
    if not stages:
        raise ValueError(f"run folder {folder} has no finished stage yet")
    return ProgressiveGenerator(stages, config)
