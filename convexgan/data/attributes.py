"""CelebA attribute filter from ``list_attr_celeba.txt``.

The file has the number of images on line 1, the 40 attribute names on line 2, then one line per image:
``NNNNNN.jpg`` followed by 40 values in ``{-1, 1}``.
"""

from __future__ import annotations

import os
from pathlib import Path

ATTRIBUTE_FILE = "list_attr_celeba.txt"


def parse_attribute_table(text: str, origin: str) -> tuple[list[str], dict[str, tuple[int, ...]]]:
    """Return ``(names, {file name: tuple of +-1})`` from the text of ``list_attr_celeba.txt``."""
    lines = text.splitlines()
    if len(lines) < 2:
        raise ValueError(f"attribute file {origin} is too short: expected a count line and a names line")
    names = lines[1].split()
    table: dict[str, tuple[int, ...]] = {}
    for number, line in enumerate(lines[2:], start=3):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != len(names) + 1:
            raise ValueError(
                f"attribute file {origin} line {number}: expected a file name and {len(names)} values, "
                f"got {len(fields)} fields"
            )
        table[fields[0]] = tuple(int(v) for v in fields[1:])
    return names, table


def attribute_filter(text: str, origin: str, attributes: dict[str, bool]) -> set[str]:
    """Return the set of file names whose attributes match ``attributes``.

    Parameters
    ----------
    text : str
        Content of ``list_attr_celeba.txt``.
    origin : str
        Where the text came from (for messages).
    attributes : dict
        ``{name: wanted}`` with ``wanted`` True (value +1) or False (value -1), e.g. ``{"Smiling": True}``.
    """
    names, table = parse_attribute_table(text, origin)
    wanted: dict[int, int] = {}
    for name, value in attributes.items():
        if name not in names:
            raise ValueError(f"attribute {name!r} is not in {origin}; it has {', '.join(names)}")
        wanted[names.index(name)] = 1 if value else -1
    return {fname for fname, values in table.items() if all(values[i] == v for i, v in wanted.items())}


def find_attribute_file(folder: str | os.PathLike[str]) -> Path | None:
    """``list_attr_celeba.txt`` in ``folder`` or its parent (the CelebA layout), or None."""
    for candidate in (Path(folder) / ATTRIBUTE_FILE, Path(folder).parent / ATTRIBUTE_FILE):
        if candidate.is_file():
            return candidate
    return None
