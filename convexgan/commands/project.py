"""``convexgan project RUN IMAGES --out FILE.png``: real images projected onto a trained generator's range."""

from __future__ import annotations

import argparse
import numpy as np

from convexgan._files import write_option_file
from convexgan._limits import check_bytes
from convexgan.commands import inform


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``project`` sub-command."""
    p = subparsers.add_parser("project", help="project real images onto a trained run's latent space",
                              description="For each image x, the minimum-norm latent z minimising "
                              "||z F + b + mean - x|| (the generator's image is affine in z); writes a grid with "
                              "each original beside its projection and prints each image's RMS error (pixel "
                              "units, 0-1) and the fraction of its centred energy the model's range explains. "
                              "The images are taken in sorted order (--skip, then --n) and framed like the run's "
                              "training data (its crop, resized through its base resolution).")
    p.add_argument("run", help="run folder")
    p.add_argument("images", help="image folder, tar archive, .npz or IDX file")
    p.add_argument("--out", required=True, help="PNG file: originals and projections side by side")
    p.add_argument("--n", type=int, default=16, help="images to project")
    p.add_argument("--skip", type=int, default=0,
                   help="skip the first SKIP images in sorted order, without decoding them (e.g. those a run "
                        "trained with --subset first)")
    p.add_argument("--stage", type=int, help="stage index (default: the last finished)")
    p.add_argument("--npy", help="also save the latents (n, D) float64 to this .npy file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Read, project, report, save."""
    if args.n < 1 or args.skip < 0:
        raise ValueError(f"--n={args.n} must be >= 1 and --skip={args.skip} >= 0")
    from convexgan.data import load_images, open_images
    from convexgan.plotting import save_image_grid
    from convexgan.progressive import load_generator, project

    generator = load_generator(args.run)
    index = generator.stage_index(args.stage)
    stage = generator.stages[index]
    r, C, D = stage.resolution, stage.channels, generator.latent_size(index)
    check_bytes(args.n * (8 * D + 16 * r * r * C), f"--n={args.n} images of {r}x{r}x{C} and their projections")
    config = generator.config
    with open_images(args.images, crop=config["crop"], background=config["background"]) as source:
        if args.skip >= len(source):
            raise ValueError(f"IMAGES {args.images} has no image after --skip={args.skip} ({len(source)} images)")
        source.restrict(range(args.skip, min(args.skip + args.n, len(source))))  # the skipped are not decoded
        images = load_images(source, r, base=config.get("base_resolution") or config["resolutions"][-1])
    if images.shape[3] != C:
        raise ValueError(f"IMAGES {args.images} have {images.shape[3]} channel(s); the run has {C}")
    result = project(generator, images, stage=index)
    if args.npy:
        write_option_file("--npy", args.npy, lambda fh: np.save(fh, result.latents))
    pairs = np.stack([images, result.reconstructions], axis=1).reshape(-1, r, r, C)
    out = save_image_grid(pairs, args.out, ncols=2 * min(4, len(images)))
    inform(args, f"projected {len(images)} images of {args.images} onto stage {index} ({r}x{r}; rank {result.rank} of "
                 f"latent dimension {D}, image dimension {r * r * C})")
    if len(images) < args.n:
        inform(args, f"note: --n={args.n} asked, {len(images)} readable image(s) after --skip={args.skip} in "
                     f"{args.images}; the rows are numbered by position among the readable images")
    print("image  rms_error  explained")
    for i, (error, explained) in enumerate(zip(result.rms_error, result.explained), start=args.skip):
        print(f"{i:5d}  {error:9.4f}  {explained:9.4f}")
    print(f"mean RMS error {result.rms_error.mean():.4f} (pixel units, 0-1), median fraction explained "
          f"{np.median(result.explained):.4f}; grid (original | projection) written to {out}")
    return 0
