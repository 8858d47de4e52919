"""The ``convexgan`` command line.

Each sub-command lives in its own module of :mod:`convexgan.commands` and exposes
``add_parser(subparsers)``, which registers the sub-command and sets ``func`` (a callable taking the
parsed arguments and returning an exit status). Modules are discovered in sorted order.

Building the parser imports only argparse-level code: each command module imports its heavy dependencies
(torch, CVXPY, matplotlib, Pillow, scikit-learn) inside its ``run`` function, so ``convexgan --help`` answers at
once, and a command whose extra is missing fails with one line naming the extra to install.

Every option's help shows its default (:class:`DefaultsHelpFormatter`), so a command module only writes what an
option means.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import pkgutil
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import convexgan
from convexgan import commands
from convexgan._extras import MissingExtraError
from convexgan.commands import add_output_options, phase


def shows_default(action: argparse.Action) -> bool:
    """Whether ``--help`` states ``action``'s default: an option whose default is a value (not None, not a flag's
    False, not an empty list)."""
    default = action.default
    if default is None or default is False or default is argparse.SUPPRESS or action.nargs == 0:
        return False
    return bool(action.option_strings) and not (isinstance(default, (list, tuple)) and not default)


def format_default(value: object) -> str:
    """A default as written on the command line: lists and tuples space-separated."""
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value)
    return str(value)


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Help that ends each option's text with ``(default: VALUE)`` unless the text already speaks of its default."""

    def _format_action(self, action: argparse.Action) -> str:
        if action.help is None and shows_default(action):
            action = copy.copy(action)
            action.help = ""
            action.help = self._get_help_string(action)
        return super()._format_action(action)

    def _get_help_string(self, action: argparse.Action) -> str:
        help_text = action.help or ""
        if shows_default(action) and "default" not in help_text.lower():
            default = format_default(action.default).replace("%", "%%")
            help_text = f"{help_text} (default: {default})".strip()
        return help_text


class CommandParser(argparse.ArgumentParser):
    """The parser of a sub-command: :class:`DefaultsHelpFormatter` unless the command names another."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every sub-command of :mod:`convexgan.commands` registered."""
    parser = CommandParser(
        prog="convexgan",
        description="Wasserstein GANs with two-layer critics, solved exactly through convex duality.",
    )
    parser.add_argument("--version", action="version", version=f"convexgan {convexgan.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"convexgan.commands.{info.name}").add_parser(subparsers)
    for command in subparsers.choices.values():
        add_output_options(command)
    return parser


@contextmanager
def one_line_warnings(command: str) -> Iterator[None]:
    """Print every warning raised inside the block as ``convexgan COMMAND: warning: MESSAGE`` on stderr.

    No file, line number or source line: those point into convexgan's code, not at anything the user typed.
    Installed by :func:`main` only, and restored when the block ends, so library use keeps Python's warnings.
    """

    def one_line(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 line: str | None = None) -> str:
        text = " ".join(str(message).split())
        return f"convexgan {command}: warning: {text}\n"

    python_format = warnings.formatwarning
    warnings.formatwarning = one_line
    try:
        yield
    finally:
        warnings.formatwarning = python_format


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        with one_line_warnings(args.command), phase(args, "finished in"):
            status: int = args.func(args) or 0
        return status
    except (ValueError, TypeError, OSError, RuntimeError, MissingExtraError) as err:
        print(f"convexgan {args.command}: error: {getattr(err, 'command_line', err)}", file=sys.stderr)
        return 1
    except MemoryError as err:
        detail = f" ({err})" if str(err) else ""
        print(f"convexgan {args.command}: error: out of memory{detail}; set CONVEXGAN_MAX_BYTES below the free "
              f"memory to have sizes refused before allocation", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"convexgan {args.command}: interrupted", file=sys.stderr)
        return 130
