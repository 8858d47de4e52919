"""Sub-commands of the ``convexgan`` command line, one module each (see :mod:`convexgan.cli`).

Every sub-command takes ``-q/--quiet`` and ``-v/--verbose`` (:func:`add_output_options`, added by
:func:`convexgan.cli.build_parser`): a command prints its informational lines through :func:`inform` (dropped
under ``--quiet``) and times its phases with :func:`phase` (reported on stderr under ``--verbose``); its result
(a table, where it has one), warnings and errors are printed at every level.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """Add the mutually exclusive ``-q/--quiet`` and ``-v/--verbose`` to a sub-command's parser."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", action="store_true",
                       help="no progress bars and no informational lines: only the command's result (its table, "
                            "where it has one), warnings and errors")
    group.add_argument("-v", "--verbose", action="store_true",
                       help="more detail on stderr: the time of each phase and of the whole command")


def inform(args: argparse.Namespace, text: str) -> None:
    """Print an informational line on stdout unless ``--quiet`` was given."""
    if not getattr(args, "quiet", False):
        print(text)


def detail(args: argparse.Namespace, text: str) -> None:
    """Print ``convexgan COMMAND: TEXT`` on stderr when ``--verbose`` was given."""
    if getattr(args, "verbose", False):
        print(f"convexgan {args.command}: {text}", file=sys.stderr)


@contextmanager
def phase(args: argparse.Namespace, name: str) -> Iterator[None]:
    """Time the block; under ``--verbose`` print ``convexgan COMMAND: NAME S s`` on stderr when it ends."""
    start = time.perf_counter()
    yield
    detail(args, f"{name} {time.perf_counter() - start:.3f} s")
