"""Markdown reports: tables of numbers and links to figures, written next to the figures they reference."""

from __future__ import annotations

import math
import os
import numbers
from collections.abc import Iterable, Sequence
from pathlib import Path

from convexgan.progressive.runs.checkpoint import atomic_write_text


def format_number(value: object, digits: int = 4) -> str:
    """Format a table cell: integers as is, floats with ``digits`` significant digits, ``None`` as a dash."""
    if value is None:
        return "-"
    if isinstance(value, bool) or isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            return str(value)
        return f"{value:.{digits}g}"
    return str(value).replace("|", "\\|")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]], digits: int = 4) -> str:
    """A GitHub-flavoured Markdown table.

    Parameters
    ----------
    headers : sequence of str
    rows : sequence of sequences
        One cell per header; numbers go through :func:`format_number`.
    digits : int
        Significant digits of floats.

    Returns
    -------
    str
    """
    headers = [format_number(h) for h in headers]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        row = list(row)
        if len(row) != len(headers):
            raise ValueError(f"a row has {len(row)} cells for {len(headers)} headers: {row!r}")
        lines.append("| " + " | ".join(format_number(cell, digits) for cell in row) + " |")
    return "\n".join(lines)


def markdown_image(path: str | os.PathLike[str], folder: str | os.PathLike[str], caption: str) -> str:
    """A Markdown image link to ``path``, relative to ``folder`` (the report's folder)."""
    relative = Path(path).resolve().relative_to(Path(folder).resolve())
    return f"![{caption}]({relative.as_posix()})"


def write_markdown(path: str | os.PathLike[str], blocks: Iterable[str]) -> Path:
    """Write blocks of Markdown separated by blank lines, atomically; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "\n\n".join(block.strip("\n") for block in blocks) + "\n")
    return path
