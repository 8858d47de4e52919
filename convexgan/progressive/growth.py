r"""Growing a run: a resumed training may append resolutions to the ones it started with.

Stage :math:`i` depends only on the data moments at :math:`r_i` and on the stages before it (docs/theory.md
section 7), so a run trained to :math:`r_T` and resumed with :math:`r_1, \dots, r_T, r_{T+1}, \dots` keeps its
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

Every other difference of the record (seed, mode, latent, data, ...) is refused, naming the keys.
"""

TAILS = ("resolutions", "k", "beta")


def base_resolution(record):
    """The base resolution of a configuration record (before it was recorded: the largest resolution)."""
    return record.get("base_resolution") or max(record["resolutions"])


def _is_prefix(short, long):
    return short is None and long is None or (
        isinstance(short, list) and isinstance(long, list) and long[: len(short)] == short)


def _rest(record):
    """The record without the per-stage lists, with its base resolution made explicit."""
    rest = {key: value for key, value in record.items() if key not in TAILS}
    rest["base_resolution"] = base_resolution(record)
    return rest


def extends(earlier, later):
    """Whether the record ``later`` is ``earlier``, possibly with resolutions (and their k or beta) appended."""
    if not all(isinstance(r, dict) and isinstance(r.get("resolutions"), list) and r["resolutions"]
               for r in (earlier, later)):
        return earlier == later
    return all(_is_prefix(earlier.get(key), later.get(key)) for key in TAILS) and _rest(earlier) == _rest(later)


def check_growth(out, previous, config):
    """Refuse to resume ``out`` (recorded as ``previous``) with ``config`` unless ``config`` extends it.

    Returns
    -------
    list of int
        The appended resolutions (empty when ``config`` equals ``previous``).

    Raises
    ------
    ValueError
        Naming the keys that differ, or why the appended resolutions cannot be trained.
    """
    old, new = list(previous["resolutions"]), list(config["resolutions"])
    grown = new[len(old):] if new[: len(old)] == old else None
    changed = sorted(key for key in set(_rest(previous)) | set(_rest(config))
                     if _rest(previous).get(key) != _rest(config).get(key))
    if grown is None:
        changed = sorted({*changed, "resolutions"})
    else:
        changed = sorted(changed + [key for key in TAILS[1:] if not _is_prefix(previous.get(key), config.get(key))])
    if not changed:
        return grown
    base, top = base_resolution(previous), max(new)
    if changed == ["base_resolution"] and grown and top > base:
        raise ValueError(
            f"cannot grow {out} to {top}x{top}: its frames were resized to its base resolution {base} first, and "
            f"stages above {base} cannot be trained from the same pixels; to grow a run, start it with "
            f"--base-resolution (base_resolution=) at least the largest resolution it may reach"
        )
    if "base_resolution" in changed:
        changed[changed.index("base_resolution")] = (
            f"base_resolution ({base} recorded, {base_resolution(config)} now: pass --base-resolution {base})")
    if grown is None:
        detail = f"resolutions {old} -> {new}: a resumed run may only append resolutions"
        changed[changed.index("resolutions")] = detail
    raise ValueError(f"cannot resume {out}: its configuration differs in {', '.join(changed)}")
