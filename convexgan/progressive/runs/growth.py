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
  ``base_resolution`` (default: the largest resolution of the run as first started). A run can grow up to its
  recorded base and no further: growing beyond it would train the new stages on pixels resized from another
  base than the finished ones, a run no single training produces, so it is refused, and the message says to
  start the run with ``--base-resolution`` (``base_resolution=``) at the largest resolution it may grow to.

Every other difference of the record (seed, mode, latent, data, ...) is refused (:func:`differences`,
:func:`refusal`), naming the keys with their recorded and new values. A grown run's ``config.json`` is the longer
record; the checkpoints of its earlier stages keep the shorter one, which :func:`extends` accepts.
"""

import json
import os
from collections.abc import Mapping, Sequence
from typing import Any

from convexgan.progressive.config import upgrade_record

TAILS = ("resolutions", "k", "beta")
DATA_KEYS = ("data", "data_fingerprint")


def base_resolution(record: Mapping[str, Any]) -> int:
    """The base resolution of a configuration record (recorded before it existed: the largest resolution)."""
    return upgrade_record(record)["base_resolution"]


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
            changed: Sequence[str]) -> str:
    """The message refusing to resume ``out`` (recorded as ``previous``) with ``config``, which differ in ``changed``.

    Growing beyond the recorded base resolution gets its own explanation; otherwise each differing key is named
    with its recorded and its new value.
    """
    old, new = list(previous["resolutions"]), list(config["resolutions"])
    base, top = base_resolution(previous), max(new)
    if changed == ["base_resolution"] and new[: len(old)] == old and top > base:
        return (f"cannot grow {out} to {top}x{top}: its frames were resized to its base resolution {base} first, and "
                f"stages above {base} cannot be trained from the same pixels; to grow a run, start it with "
                f"--base-resolution (base_resolution=) at least the largest resolution it may reach")
    values = []
    for key in changed:
        values.append(f"{key}: {short(upgrade_record(previous).get(key))} -> {short(upgrade_record(config).get(key))}")
        if key == "resolutions" and new[: len(old)] != old:
            values[-1] += " (a resumed run may only append resolutions)"
        elif key == "base_resolution":
            values[-1] += f" (pass --base-resolution {base})"
    return f"cannot resume {out}: its configuration differs in {', '.join(changed)} ({'; '.join(values)})"
