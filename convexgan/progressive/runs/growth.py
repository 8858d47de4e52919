r"""Growing a run: a resumed training may append resolutions to the ones it started with.

Stage :math:`i` depends only on the data moments at :math:`r_i` and on the stages before it
(:ref:`theory-progressive`), so a run trained to :math:`r_T` and resumed with :math:`r_1, \dots, r_T, r_{T+1},
\dots` keeps its
finished stages and trains the new ones exactly as a run started with the longer list would, provided two
things are the same:

- the per-stage schedule on the common stages: the ``k`` (or ``beta``) list of the longer run must start with
  the recorded one (the default ``k`` schedule, the official list truncated to the number of stages, does);
- the pixels: every frame is resized to the base resolution first, then to each stage's resolution
  (:mod:`convexgan.data.frames`), so the pixels of a stage depend on the base. It is recorded as
  ``base_resolution``. By default (:func:`default_base`) it is the largest doubling of the top resolution that
  fits the first frame's smaller side after the crop (:func:`frame_side`), capped at
  :data:`convexgan.choices.MAX_DEFAULT_BASE` (128), and at least the top resolution: a default CelebA 89 x 109
  4 -> 32 run resizes to 64 first and can grow to 64. A resumed run given no base keeps its recorded one
  (runs of older versions recorded their top resolution) when it covers the new resolutions. A run can grow up
  to its recorded base and no further: growing beyond it would train the new stages on pixels resized from
  another base than the finished ones, a run no single training produces, so it is refused with the command
  that starts a run able to grow that far (:func:`growable_command`).

Every other difference of the record (seed, mode, latent, data, ...) is refused (:func:`differences`,
:func:`refusal`), naming the keys with their recorded and new values. A grown run's ``config.json`` is the longer
record; the checkpoints of its earlier stages keep the shorter one, which :func:`extends` accepts.
"""

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from convexgan.choices import (
    DEFAULT_LATENT,
    DEFAULT_SEED,
    EIGENSOLVERS,
    FRESH_RATIO,
    LEGACY_DTYPES,
    MAX_DEFAULT_BASE,
    MOMENT_DTYPES,
    TRAINING_MODES,
)
from convexgan.data.frames import celeba_crop_box, crop_method
from convexgan.exceptions import OptionError
from convexgan.progressive.config import default_k, upgrade_record

TAILS = ("resolutions", "k", "beta")
DATA_KEYS = ("data", "data_fingerprint")


def base_resolution(record: Mapping[str, Any]) -> int:
    """The base resolution of a configuration record (recorded before it existed: the largest resolution)."""
    return upgrade_record(record)["base_resolution"]


def frame_side(width: int, height: int, crop: str | bool | None) -> int:
    """The smaller side of a ``width x height`` frame after the crop ('celeba': the scaled CelebA box)."""
    if crop_method(crop) == "celeba":
        left, upper, right, lower = celeba_crop_box(width, height)
        return min(right - left, lower - upper)
    return min(width, height)


def default_base(top: int, side: int) -> int:
    """The default base resolution: the largest ``top * 2**j`` at most ``min(side, MAX_DEFAULT_BASE)``, else ``top``.

    Examples
    --------
    >>> default_base(32, 89), default_base(64, 200), default_base(64, 1024), default_base(64, 40)
    (64, 128, 128, 64)
    """
    base = top
    while 2 * base <= min(side, MAX_DEFAULT_BASE):
        base *= 2
    return base


def run_base(given: int | None, resolutions: Sequence[int], crop: str | bool | None, frame: tuple[int, int],
             previous: Mapping[str, Any] | None) -> int:
    """The base resolution of a training: ``given``, else the ``previous`` record's (a resumed run) when it covers
    ``resolutions``, else :func:`default_base` of the first frame ``(width, height)`` after the crop."""
    top = max(resolutions)
    if given is not None:
        return given
    if previous is not None and base_resolution(previous) >= top:
        return base_resolution(previous)
    return default_base(top, frame_side(*frame, crop)) if min(frame) > 0 else top


def growable_command(record: Mapping[str, Any], resolutions: Sequence[int]) -> tuple[str, str]:
    """``(Python, command line)``: the training of ``record``'s options over ``resolutions`` with the base at the
    top, which can later grow up to it (``NEW`` stands for a new run folder)."""
    record = upgrade_record(record)
    python = [repr(record["data"]), "'NEW'", f"resolutions={list(resolutions)}",
              f"base_resolution={max(resolutions)}"]
    cli = [f"convexgan train {record['data']} --out NEW --resolutions {' '.join(map(str, resolutions))}",
           f"--base-resolution {max(resolutions)}"]
    defaults: dict[str, Any] = {"mode": TRAINING_MODES[0], "n_images": None, "subset": None, "latent": DEFAULT_LATENT,
                                "crop": "none", "seed": DEFAULT_SEED, "dtype": MOMENT_DTYPES[0], "noise_rows": None,
                                "legacy_dtype": LEGACY_DTYPES[0], "eigensolver": EIGENSOLVERS[0],
                                "jpeg_draft": False, "include": None, "classes": None, "attributes": None,
                                "fresh_ratio": FRESH_RATIO}
    k: Any = record.get("k")
    beta: Any = record.get("beta")
    if k is not None and k != default_k(len(k)) or beta is not None:
        name, values = ("k", k) if beta is None else ("beta", beta)
        python.append(f"{name}={values} + [one per new stage]")
        cli.append(f"--{name} {' '.join(map(str, values))} [one per new stage]")
    for key, default in defaults.items():
        value: Any = record.get(key)
        if value == default:
            continue
        python.append(f"{key}={value!r}")
        if key == "jpeg_draft":
            cli.append("--jpeg-draft")
        elif key in ("include", "classes"):
            cli.extend(f"{'--class' if key == 'classes' else '--include'} {v}" for v in value)
        elif key == "attributes":
            cli.extend(f"--attribute {name}={1 if on else -1}" for name, on in value.items())
        elif key != "fresh_ratio":
            cli.append(f"--{key.replace('_', '-')} {value}")
    return f"train({', '.join(python)})", " ".join(cli)


def _is_prefix(short: object, long: object) -> bool:
    return short is None and long is None or (
        isinstance(short, list) and isinstance(long, list) and long[: len(short)] == short)


def _rest(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record in the current format (:func:`~convexgan.progressive.config.upgrade_record`) without the
    per-stage lists."""
    return {key: value for key, value in upgrade_record(record).items() if key not in TAILS}


def extends(earlier: Any, later: Any) -> bool:
    """Whether the record ``later`` is ``earlier``, possibly with resolutions (and their k or beta) appended."""
    if not all(isinstance(r, dict) and isinstance(r.get("resolutions"), list) and r["resolutions"]
               for r in (earlier, later)):
        return earlier == later
    return not differences(earlier, later)


def differences(previous: Mapping[str, Any], config: Mapping[str, Any]) -> list[str]:
    """The keys in which ``config`` differs from ``previous`` other than by appended resolutions, sorted."""
    old, new = _rest(previous), _rest(config)
    changed = {key for key in set(old) | set(new) if old.get(key) != new.get(key)}
    changed |= {key for key in TAILS if not _is_prefix(previous.get(key), config.get(key))}
    return sorted(changed)


def short(value: object, width: int = 60) -> str:
    """``value`` as JSON, cut to ``width`` characters."""
    text = json.dumps(value, sort_keys=True)
    return text if len(text) <= width else text[: width - 3] + "..."


def refusal(out: str | os.PathLike[str], previous: Mapping[str, Any], config: Mapping[str, Any],
            changed: Sequence[str]) -> OptionError:
    """The error refusing to resume ``out`` (recorded as ``previous``) with ``config``, which differ in ``changed``.

    Growing beyond the recorded base resolution gets its own explanation, with the training that would start a
    run able to grow that far; otherwise each differing key is named with its recorded and its new value. The
    message names options as in Python; its ``command_line`` form as on the command line.
    """
    old, new = list(previous["resolutions"]), list(config["resolutions"])
    base, top = base_resolution(previous), max(new)
    if changed == ["base_resolution"] and new[: len(old)] == old and top > base:
        python, cli = growable_command(config, new)
        reason = (f"cannot grow {out} to {top}x{top}: its frames were resized to its base resolution {base} first, "
                  f"and stages above {base} cannot be trained from the same pixels; a run that can grow to "
                  f"{top} starts with the base resolution at least {top}:")
        return OptionError(f"{reason} {python}", f"{reason} {cli}")
    values, flags = [], []
    for key in changed:
        values.append(f"{key}: {short(upgrade_record(previous).get(key))} -> {short(upgrade_record(config).get(key))}")
        flags.append(values[-1])
        if key == "resolutions" and new[: len(old)] != old:
            values[-1] += " (a resumed run may only append resolutions)"
            flags[-1] = values[-1]
        elif key == "base_resolution":
            values[-1] += f" (pass base_resolution={base})"
            flags[-1] += f" (pass --base-resolution {base})"
    start = f"cannot resume {out}: its configuration differs in {', '.join(changed)}"
    return OptionError(f"{start} ({'; '.join(values)})", f"{start} ({'; '.join(flags)})")
