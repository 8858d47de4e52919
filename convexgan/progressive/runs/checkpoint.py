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
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from numpy.typing import NDArray

import convexgan
from convexgan.progressive.runs.growth import extends
from convexgan._files import atomic_write, atomic_write_text
from convexgan._limits import array_bytes, check_bytes, npz_headers
from convexgan.progressive.model.generator import StageWeights

FORMAT = "convexgan.progressive.stage/1"
TEXT_MEMBERS = ("format", "package_version", "config")
SCALAR_MEMBERS = {"seed": "iu", "resolution": "iu", "channels": "iu", "fresh": "iu", "scale": "f", "ones": "b",
                  "beta": "f"}
ARRAY_MEMBERS = ("eigenvalues", "mean", "B", "V")
MEMBERS = (*TEXT_MEMBERS, *SCALAR_MEMBERS, *ARRAY_MEMBERS)
MAX_TEXT_CHARS = 2**20

__all__ = ["FORMAT", "atomic_write", "atomic_write_text", "load_stage", "save_stage", "stage_path"]


def stage_path(folder: str | os.PathLike[str], index: int, resolution: int) -> Path:
    """Path of stage ``index``'s checkpoint in a run folder."""
    return Path(folder) / f"stage{index:02d}_{resolution}x{resolution}.npz"


def save_stage(path: str | os.PathLike[str], stage: StageWeights, *, eigenvalues: torch.Tensor, beta: float, seed: int,
               config: Mapping[str, Any]) -> None:
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
    # (ignore below) numpy's stub reads **arrays as its allow_pickle keyword
    atomic_write(path, lambda fh: np.savez(fh, **arrays))  # type: ignore[arg-type]


def load_stage(path: str | os.PathLike[str],
               config: Mapping[str, Any] | None = None) -> tuple[StageWeights, dict[str, Any]]:
    """Read a stage checkpoint, checking its members before reading any array.

    The member names must be exactly those :func:`save_stage` writes (an extra member is refused by name
    without being read), the text and scalar members must be 0-d of their kind, and the declared shapes of
    ``mean (d,)``, ``V (d, k)``, ``eigenvalues (k,)`` and ``B (p, k)`` must follow from the stage's
    resolution, channels and input layout (with ``config``: its resolutions, ``k`` schedule and input width
    ``p = [d after the first stage] + fresh + ones``: the upsampled previous output, then the new columns);
    their total size is checked against ``CONVEXGAN_MAX_BYTES`` (see :mod:`convexgan._limits`). Only then
    are the arrays read.

    Parameters
    ----------
    path : path
    config : dict or None
        When given, the checkpoint's configuration must equal it (both read by
        :func:`convexgan.progressive.config.upgrade_record`, so that older runs' checkpoints load), or be the
        configuration of the same run before it grew (``config`` with fewer resolutions,
        :func:`convexgan.progressive.runs.growth.extends`).

    Returns
    -------
    stage : StageWeights
    meta : dict
        ``beta``, ``eigenvalues`` (numpy), ``seed``, ``config``, ``package_version``.
    """
    path = Path(path)
    try:
        # (None, None) marks a member not named .npy, which _check_members refuses as unexpected first
        headers = cast(dict[str, tuple[tuple[int, ...], np.dtype[Any]]], npz_headers(path))
        with np.load(path, allow_pickle=False) as f:
            _check_members(path, headers, f)
            scalars = {key: f[key][()] for key in (*TEXT_MEMBERS[1:], *SCALAR_MEMBERS)}
            _check_shapes(path, headers, scalars, config)
            data = {**scalars, **{key: f[key] for key in ARRAY_MEMBERS}}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as err:
        if str(err).startswith(f"checkpoint {path} "):
            raise
        raise ValueError(f"checkpoint {path} is corrupt or not an .npz file ({err})") from None
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
    except RecursionError:
        raise ValueError(f"checkpoint {path} is incomplete or malformed: its member 'config' is JSON nested deeper "
                         f"than Python's recursion limit can decode") from None
    values = [stage.mean, stage.B, stage.V, torch.tensor([stage.scale, meta["beta"]], dtype=torch.float64)]
    if not all(bool(torch.isfinite(v).all()) for v in values):
        raise ValueError(f"checkpoint {path} is corrupt: its weights hold NaN or infinite values")
    if config is not None and not (isinstance(meta["config"], dict) and extends(meta["config"], config)):
        raise ValueError(f"checkpoint {path} belongs to another configuration: {meta['config']} != {config}")
    return stage, meta


def _check_members(path: Path, headers: Mapping[str, tuple[tuple[int, ...], np.dtype[Any]]],
                   f: Mapping[str, NDArray[Any]]) -> None:
    """The member names, and the kinds and shapes of the text and scalar members (reads only ``format``)."""
    if "format" not in headers or not _is_text(headers["format"]) or str(f["format"][()]) != FORMAT:
        raise ValueError(f"checkpoint {path} is not a convexgan progressive stage (format {FORMAT!r} expected)")
    missing = [key for key in MEMBERS if key not in headers]
    if missing:
        raise ValueError(f"checkpoint {path} is incomplete or malformed: it lacks {', '.join(missing)}")
    extra = sorted(set(headers) - set(MEMBERS))
    if extra:
        raise ValueError(
            f"checkpoint {path} holds unexpected member(s) {', '.join(map(repr, extra))}, refused without reading "
            f"them: a convexgan stage holds exactly {', '.join(MEMBERS)}"
        )
    bad = [key for key in TEXT_MEMBERS if not _is_text(headers[key])]
    bad += [key for key, kinds in SCALAR_MEMBERS.items() if headers[key][0] != () or headers[key][1].kind not in kinds]
    bad += [key for key in ARRAY_MEMBERS if headers[key][1].kind != "f"]
    if bad:
        described = ", ".join(f"{key} {headers[key][0]} {headers[key][1]}" for key in bad)
        raise ValueError(f"checkpoint {path} is incomplete or malformed: unexpected shape or dtype of {described}")


def _is_text(header: tuple[tuple[int, ...], np.dtype[Any] | None]) -> bool:
    shape, dtype = header
    return shape == () and dtype is not None and dtype.kind == "U" and dtype.itemsize <= 4 * MAX_TEXT_CHARS


def _check_shapes(path: Path, headers: Mapping[str, tuple[tuple[int, ...], np.dtype[Any]]], scalars: Mapping[str, Any],
                  config: Mapping[str, Any] | None) -> None:
    """The declared array shapes against what the stage's layout (and ``config``) implies, then their bytes."""
    r, C = int(scalars["resolution"]), int(scalars["channels"])
    fresh, ones = int(scalars["fresh"]), bool(scalars["ones"])
    V = headers["V"][0]
    k = V[1] if len(V) == 2 else -1
    where = f"resolution {r} x {C} channels"
    expected: dict[str, tuple[int, ...]] = {"mean": (r * r * C,), "V": (r * r * C, k), "eigenvalues": (k,)}
    if config is not None:
        resolutions = list(config["resolutions"])
        if r not in resolutions:
            raise ValueError(f"checkpoint {path} belongs to another configuration: resolution {r} not in {resolutions}")
        index = resolutions.index(r)
        expected["B"] = ((r * r * C if index else 0) + fresh + int(ones), k)
        if config.get("k"):
            expected["V"] = (r * r * C, config["k"][index])
        where += f", stage {index} of {resolutions}, {fresh} fresh column(s){' and a ones column' if ones else ''}"
    shapes = {key: headers[key][0] for key in ARRAY_MEMBERS}
    wrong = [key for key, shape in expected.items() if shapes[key] != shape]
    if fresh < 0:
        raise ValueError(f"checkpoint {path} is inconsistent: its member 'fresh' is {fresh}; expected an integer >= 0")
    if r < 1 or C not in (1, 3) or not 1 <= k <= r * r * C or len(shapes["B"]) != 2 or shapes["B"][1] != k or wrong:
        declared = ", ".join(f"{key} {shape}" for key, shape in shapes.items())
        wanted = ", ".join(f"{key} {shape}" for key, shape in expected.items())
        raise ValueError(
            f"checkpoint {path} is inconsistent: {where} needs d = {r * r * C} and 1 <= k <= d ({wanted}); it "
            f"declares {declared}"
        )
    check_bytes(sum(array_bytes(*headers[key]) for key in ARRAY_MEMBERS), f"checkpoint {path}")
