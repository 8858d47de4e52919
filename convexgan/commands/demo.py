"""``convexgan demo [--out DIR]``: an exact solve and progressive training on scikit-learn's bundled digits."""

from __future__ import annotations

import argparse
from pathlib import Path

from convexgan._extras import require
from convexgan.commands import inform


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``demo`` sub-command."""
    p = subparsers.add_parser(
        "demo",
        help="solve a small GAN exactly and train a progressive generator on bundled digits; write a report",
        description="The default demo, needing no download: scikit-learn's bundled 8x8 digits. Solves a 4x4 "
        "linear-generator / quadratic-critic WGAN by its closed form and by an SDP (certificates), trains a "
        "progressive generator 2 -> 4 -> 8 with every stage in closed form, measures it, and writes DIR/report.md "
        "with PNG figures and tables (and DIR/summary.json with the same numbers).",
    )
    p.add_argument("--out", type=Path, default=Path("convexgan_demo"), help="output folder (default ./convexgan_demo)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generator input, samples and metrics")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo, then print where the report is and its headline numbers."""
    if args.out.exists() and not args.out.is_dir():
        raise ValueError(f"--out={str(args.out)!r} is a file; the demo writes a folder (give a new or existing folder)")
    for name in ("torch", "PIL", "sklearn", "matplotlib"):
        require("demo", name, user="convexgan demo")
    from convexgan.demo import run_demo

    summary = run_demo(args.out, seed=args.seed, progress=not args.quiet)
    exact = summary["exact"]["certificates"]["closed form"]
    inform(args, f"report: {args.out / 'report.md'} ({summary['seconds']:.1f} s)")
    print(f"exact 4x4 solve: primal {exact['primal']:.6g}, dual {exact['dual']:.6g}, gap {exact['gap']:.2e}, "
          f"violation {exact['violation']:.2e}")
    for s in summary["progressive"]:
        print(f"stage {s['resolution']}x{s['resolution']}: k {s['k']}, constraint value {s['constraint_value']:.10f}, "
              f"model moment error {s['model_moment_error']:.2e}")
    return 0
