"""Stage checkpoints: one ``.npz`` per finished stage, written atomically, read without pickle.

Each file holds the stage's arrays (``mean``, ``B``, ``V``, ``eigenvalues``), its layout (``resolution``,
``channels``, ``fresh``, ``scale``, ``ones``, ``beta``) and provenance (``format``, ``package_version``,
``seed``, ``config`` as JSON text). It is written to a temporary file in the same folder and renamed with
``os.replace``, so a crash never leaves a half-written checkpoint under the final name. Loading uses
``numpy.load(allow_pickle=False)``: a checkpoint cannot run code. A file that is not a convexgan stage
checkpoint, is truncated, or belongs to another configuration raises ``ValueError`` saying so.
"""

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import torch

import convexgan
from convexgan.progressive.generator import StageWeights

FORMAT = "convexgan.progressive.stage/1"


def stage_path(folder, index, resolution):
    """Path of stage ``index``'s checkpoint in a run folder."""
    return Path(folder) / f"stage{index:02d}_{resolution}x{resolution}.npz"


def atomic_write(path, write):
    """Call ``write(file_object)`` on a temporary file beside ``path``, then rename it to ``path``."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path, text):
    """Write a text file atomically."""
    atomic_write(path, lambda fh: fh.write(text.encode()))


def save_stage(path, stage, *, eigenvalues, beta, seed, config):
    """Write one stage checkpoint (see the module docstring)."""
    arrays = {
        "format": np.array(FORMAT),
        "package_version": np.array(convexgan.__version__),
        "config": np.array(json.dumps(config, sort_keys=True)),
        "seed": np.array(int(seed)),
        "resolution": np.array(stage.resolution),
        "channels": np.array(stage.channels),
        "fresh": np.array(stage.fresh),
        "scale": np.array(float(stage.scale)),
        "ones": np.array(bool(stage.ones)),
        "beta": np.array(float(beta)),
        "eigenvalues": eigenvalues.cpu().numpy(),
        "mean": stage.mean.cpu().numpy(),
        "B": stage.B.cpu().numpy(),
        "V": stage.V.cpu().numpy(),
    }
    atomic_write(path, lambda fh: np.savez(fh, **arrays))


def load_stage(path, config=None):
    """Read a stage checkpoint.

    Parameters
    ----------
    path : path
    config : dict or None
        When given, the checkpoint's configuration must equal it.

    Returns
    -------
    stage : StageWeights
    meta : dict
        ``beta``, ``eigenvalues`` (numpy), ``seed``, ``config``, ``package_version``.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            data = {key: f[key] for key in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"checkpoint {path} is corrupt or not an .npz file ({err})") from None
    if "format" not in data or str(data["format"]) != FORMAT:
        raise ValueError(f"checkpoint {path} is not a convexgan progressive stage (format {FORMAT!r} expected)")
    try:
        stage = StageWeights(
            resolution=int(data["resolution"]),
            channels=int(data["channels"]),
            mean=torch.from_numpy(data["mean"].astype(np.float64)),
            B=torch.from_numpy(data["B"].astype(np.float64)),
            V=torch.from_numpy(data["V"].astype(np.float64)),
            fresh=int(data["fresh"]),
            scale=float(data["scale"]),
            ones=bool(data["ones"]),
        )
        meta = {
            "beta": float(data["beta"]),
            "eigenvalues": data["eigenvalues"],
            "seed": int(data["seed"]),
            "config": json.loads(str(data["config"])),
            "package_version": str(data["package_version"]),
        }
    except (KeyError, ValueError, TypeError) as err:
        raise ValueError(f"checkpoint {path} is incomplete or malformed ({err})") from None
    values = [stage.mean, stage.B, stage.V, torch.tensor([stage.scale, meta["beta"]], dtype=torch.float64)]
    if not all(bool(torch.isfinite(v).all()) for v in values):
        raise ValueError(f"checkpoint {path} is corrupt: its weights hold NaN or infinite values")
    d = stage.resolution**2 * stage.channels
    if stage.V.shape[0] != d or stage.mean.shape != (d,) or stage.B.shape[1] != stage.V.shape[1]:
        raise ValueError(
            f"checkpoint {path} is inconsistent: resolution {stage.resolution} x {stage.channels} channels needs "
            f"d = {d}, got V {tuple(stage.V.shape)}, mean {tuple(stage.mean.shape)}, B {tuple(stage.B.shape)}"
        )
    if config is not None and meta["config"] != config:
        raise ValueError(f"checkpoint {path} belongs to another configuration: {meta['config']} != {config}")
    return stage, meta
