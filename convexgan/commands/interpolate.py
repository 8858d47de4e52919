"""``convexgan interpolate RUN --out FILE.png``: a grid of latent interpolations, one path per row."""

from __future__ import annotations

import argparse
import numpy as np

from convexgan._files import write_option_file
from convexgan._limits import check_bytes
from convexgan.commands import inform


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``interpolate`` sub-command."""
    p = subparsers.add_parser("interpolate", help="latent interpolation grid of a trained run",
                              description="Row j of the grid goes from the latent of sample 2j to that of sample "
                              "2j+1 of --seed (the images `convexgan sample --seed` draws as numbers 2j and 2j+1), "
                              "in --steps images, endpoints included. linear: (1-t) z0 + t z1 (the images blend "
                              "linearly, the model being affine); spherical: along the great circle, which keeps "
                              "the latent's norm between endpoints of equal norm, and so the images' contrast.")
    p.add_argument("run", help="run folder")
    p.add_argument("--out", required=True, help="PNG file of the grid")
    p.add_argument("--rows", type=int, default=4, help="interpolation paths (grid rows)")
    p.add_argument("--steps", type=int, default=8, help="images per path, endpoints included (grid columns)")
    p.add_argument("--method", choices=["linear", "spherical"], default="linear", help="path between the latents")
    p.add_argument("--seed", type=int, default=0, help="seed of the endpoint latents")
    p.add_argument("--stage", type=int, help="stage index (default: the last finished)")
    p.add_argument("--npy", help="also save the path's latents (rows, steps, D) float64 to this .npy file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Draw the endpoint latents, interpolate, save the grid."""
    if args.rows < 1 or args.steps < 2:
        raise ValueError(f"--rows={args.rows} must be >= 1 and --steps={args.steps} >= 2")
    from convexgan.plotting import save_image_grid
    from convexgan.progressive import interpolate, load_generator

    generator = load_generator(args.run)
    stage = generator.stages[generator.stage_index(args.stage)]
    r, C, D = stage.resolution, stage.channels, generator.latent_size(args.stage)
    check_bytes(args.rows * args.steps * (8 * D + 12 * r * r * C), f"--rows={args.rows} x --steps={args.steps} "
                f"images of {r}x{r}x{C}")
    z = generator.latents(2 * args.rows, seed=args.seed, stage=args.stage)
    images, path = interpolate(generator, z[0::2], z[1::2], args.steps, method=args.method, stage=args.stage)
    if args.npy:
        write_option_file("--npy", args.npy, lambda fh: np.save(fh, path))
    out = save_image_grid(images.reshape(-1, r, r, C), args.out, ncols=args.steps)
    inform(args, f"wrote {args.rows} {args.method} interpolations x {args.steps} steps of stage "
                 f"{generator.stage_index(args.stage)} ({r}x{r}, latent dimension {D}) to {out}")
    return 0
