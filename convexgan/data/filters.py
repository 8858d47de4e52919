"""Select the items of a folder or tar archive by path pattern (``include``) or class folder (``classes``).

Both look at an item's *relative name*: its path relative to the folder given (``/``-separated), or its tar
member name (without a leading ``./``).

- ``include``: shell-style patterns (:func:`fnmatch.fnmatchcase`: ``*`` matches any characters, ``/``
  included; ``?`` one character; ``[seq]``); an item is kept when it matches at least one.
- ``classes``: folder names; an item is kept when any folder on its relative path is one of them
  (CIFAR-style ``train/horse/0001.png`` is kept by ``horse`` and by ``train``; ``horse/female/0001.png`` by
  ``horse`` and by ``female``). The file name itself is not a folder and never matches.

Both filters apply (an item must pass each one given), before the attribute filter's result is subset
(:mod:`convexgan.data.subsets`). A filter that keeps nothing is an error naming the pattern or class and
what exists.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from posixpath import dirname


def as_names(value: str | Iterable[str] | None, name: str) -> tuple[str, ...] | None:
    """``None``, a string or a sequence of strings, as a tuple of strings (None when empty)."""
    if value is None:
        return None
    values = (value,) if isinstance(value, str) else tuple(value)
    if not all(isinstance(v, str) and v for v in values):
        raise ValueError(f"{name}={value!r} must be a non-empty string or a list of them")
    return values or None


def folders_of(relative: str) -> set[str]:
    """The folders on an item's relative path (empty at the top level): the classes it belongs to."""
    return {part for part in dirname(relative).split("/") if part}


def select_items(names: list[str], *, include: str | Iterable[str] | None = None,
                 classes: str | Iterable[str] | None = None, description: str = "the source") -> list[int]:
    """Positions of the ``names`` (relative names, sorted) that pass ``include`` and ``classes``.

    Parameters
    ----------
    names : list of str
    include : sequence of str or None
        Shell-style patterns (see the module docstring).
    classes : sequence of str or None
        Folder names; an item passes when any folder on its path is one of them.
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
        available = sorted(set().union(*(folders_of(names[i]) for i in keep)))
        missing = [c for c in wanted if c not in available]
        if missing:
            shown = available or ["none: the images lie at the top level"]
            listed = ", ".join(shown[:40]) + (f", ... ({len(shown)} in all)" if len(shown) > 40 else "")
            raise ValueError(f"class {', '.join(repr(c) for c in missing)} is not a folder holding images in "
                             f"{description}{' (after include)' if patterns else ''}; its classes are: {listed}")
        keep = [i for i in keep if not folders_of(names[i]).isdisjoint(wanted)]
    return keep
