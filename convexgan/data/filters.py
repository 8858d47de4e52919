"""Select the items of a folder or tar archive by path pattern (``include``) or class folder (``classes``).

Both look at an item's *relative name*: its path relative to the folder given (``/``-separated), or its tar
member name (without a leading ``./``).

- ``include``: shell-style patterns (:func:`fnmatch.fnmatchcase`: ``*`` matches any characters, ``/``
  included; ``?`` one character; ``[seq]``); an item is kept when it matches at least one.
- ``classes``: names of the folder that directly holds the image (CIFAR-style ``train/horse/0001.png`` is of
  class ``horse``); an item is kept when its class is one of them.

Both filters apply (an item must pass each one given), before the attribute filter's result is subset
(:mod:`convexgan.data.subsets`). A filter that keeps nothing is an error naming the pattern or class and
what exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from posixpath import basename, dirname


def as_names(value: str | Iterable[str] | None, name: str) -> tuple[str, ...] | None:
    """``None``, a string or a sequence of strings, as a tuple of strings (None when empty)."""
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{name}={value!r} must be a non-empty string or a list of them")
    return values or None


def class_of(relative: str) -> str:
    """The class of an item: the name of the folder that holds it (``''`` at the top level)."""
    return basename(dirname(relative))


def select_items(names: list[str], *, include: str | Iterable[str] | None = None,
                 classes: str | Iterable[str] | None = None, description: str = "the source") -> list[int]:
    """Positions of the ``names`` (relative names, sorted) that pass ``include`` and ``classes``.

    Parameters
    ----------
    names : list of str
    include : sequence of str or None
        Shell-style patterns (see the module docstring).
    classes : sequence of str or None
        Class folder names.
    description : str
        The source, for messages.

    Returns
    -------
    list of int

    Raises
    ------
    ValueError
        A filter keeps no item: names the patterns or classes, with examples of what exists.
    """
    patterns, wanted = as_names(include, "include"), as_names(classes, "classes")
    keep = list(range(len(names)))
    if patterns:
        keep = [i for i in keep if any(fnmatchcase(names[i], pattern) for pattern in patterns)]
        if not keep:
            examples = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
            raise ValueError(f"include={list(patterns)} matches none of the {len(names)} images of {description} "
                             f"(patterns apply to the path relative to the folder or the tar member name, e.g. "
                             f"{examples})")
    if wanted:
        available = sorted({class_of(names[i]) for i in keep})
        missing = [c for c in wanted if c not in available]
        if missing:
            shown = [c for c in available if c] or ["none: the images lie at the top level"]
            listed = ", ".join(shown[:40]) + (f", ... ({len(shown)} in all)" if len(shown) > 40 else "")
            raise ValueError(f"class {', '.join(repr(c) for c in missing)} is not a folder holding images in "
                             f"{description}{' (after include)' if patterns else ''}; its classes are: {listed}")
        keep = [i for i in keep if class_of(names[i]) in wanted]
    return keep
