"""The ``convexgan`` command line.

Each sub-command lives in its own module of :mod:`convexgan.commands` and exposes
``add_parser(subparsers)``, which registers the sub-command and sets ``func`` (a callable taking the
parsed arguments and returning an exit status). Modules are discovered in sorted order.

Building the parser imports only argparse-level code: each command module imports its heavy dependencies
(torch, CVXPY, matplotlib, Pillow, scikit-learn) inside its ``run`` function, so ``convexgan --help`` answers at
once, and a command whose extra is missing fails with one line naming the extra to install.
"""

import argparse
import importlib
import pkgutil
import sys

import convexgan
from convexgan import commands
from convexgan._extras import MissingExtraError


def build_parser():
    """Return the argument parser with every sub-command of :mod:`convexgan.commands` registered."""
    parser = argparse.ArgumentParser(
        prog="convexgan",
        description="Wasserstein GANs with two-layer critics, solved exactly through convex duality.",
    )
    parser.add_argument("--version", action="version", version=f"convexgan {convexgan.__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"convexgan.commands.{info.name}").add_parser(subparsers)
    return parser


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.func(args) or 0
    except (ValueError, TypeError, OSError, RuntimeError, MissingExtraError) as err:
        print(f"convexgan {args.command}: error: {err}", file=sys.stderr)
        return 1
    except MemoryError as err:
        detail = f" ({err})" if str(err) else ""
        print(f"convexgan {args.command}: error: out of memory{detail}; set CONVEXGAN_MAX_BYTES below the free "
              f"memory to have sizes refused before allocation", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"convexgan {args.command}: interrupted", file=sys.stderr)
        return 130
