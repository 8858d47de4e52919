r"""``convexgan sample RUN --n N --out FILE.png | --png-dir DIR``: fresh samples of a trained progressive generator
as a PNG grid or one PNG file per sample.

``--truncation PSI`` scales the latents by :math:`\psi`. The generator is affine, :math:`x = z F + b + \mu_X`, so
for :math:`z \sim N(0, I)` the samples are :math:`N(b + \mu_X, \psi^2 F^T F)`: the model's Gaussian with its
covariance shrunk by :math:`\psi^2` (each sample moved towards the mean by the factor :math:`\psi`).
"""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from convexgan._files import write_option_file
from convexgan._limits import check_bytes
from convexgan._validation import device_argument
from convexgan.commands import inform, phase

if TYPE_CHECKING:
    import torch

    from convexgan.progressive import ProgressiveGenerator


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``sample`` sub-command."""
    p = subparsers.add_parser("sample", help="draw fresh samples of a trained run into a PNG grid",
                              description="Draw fresh samples of a run folder written by `convexgan train`. The "
                              "memory --n needs (samples and grid) is checked first against CONVEXGAN_MAX_BYTES "
                              "(default: the physical memory).")
    p.add_argument("run", help="run folder")
    p.add_argument("--n", type=int, default=64, help="number of samples")
    p.add_argument("--out", help="PNG file of the grid")
    p.add_argument("--png-dir", metavar="DIR",
                   help="also (or instead) write one PNG per sample into DIR, named by the sample's index "
                        "(000000.png, ...); sample i depends only on --seed and i, so --n 100 extends --n 10")
    p.add_argument("--force", action="store_true",
                   help="write into a --png-dir that is not empty (files of the same names are overwritten)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--stage", type=int, help="stage index (default: the last finished)")
    p.add_argument("--match-histograms", metavar="DATA",
                   help="POST-PROCESSING: match each channel's histogram to the images of DATA (as the paper "
                        "displays samples); the file name gets a '_histmatched' suffix")
    p.add_argument("--n-reference", type=int, default=1000,
                   help="images of DATA used for histogram matching, drawn at random with --seed (default "
                        "%(default)s), with the run's crop and filters")
    p.add_argument("--npy", help="also save the raw samples (n, H, W, C) float32 to this .npy file")
    p.add_argument("--device", type=device_argument, default="cpu",
                   help="where the samples are computed: auto, cpu, cuda or cuda:N")
    p.add_argument("--truncation", type=float, default=1.0, metavar="PSI",
                   help="scale the latents by PSI > 0 (typically in (0, 1]): the samples are N(mean, PSI^2 times "
                        "the model's covariance), each one moved towards the mean by the factor PSI; 1 is the "
                        "model itself")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Sample, optionally histogram-match, save."""
    if args.out is None and args.png_dir is None:
        raise ValueError("give --out FILE.png (a grid), --png-dir DIR (one file per sample), or both")
    if not (math.isfinite(args.truncation) and args.truncation > 0):
        raise ValueError(f"--truncation={args.truncation} must be a finite number > 0 (the latents' scale; 1 is the "
                         f"model itself, values in (0, 1] move the samples towards the mean)")
    from convexgan.data.histograms import histogram_reference, match_histograms
    from convexgan.plotting import save_image_files, save_image_grid
    from convexgan.progressive import load_generator
    from convexgan.progressive.runtime.device import resolve_device

    with phase(args, "load"):
        generator = load_generator(args.run)
    _check_sample_memory(args, generator)
    device = resolve_device(args.device, "--device")
    with phase(args, "sample"):
        if args.truncation == 1:
            images = generator.sample(args.n, seed=args.seed, stage=args.stage, device=device)
        else:
            images = truncated_samples(generator, args.n, args.seed, args.stage, args.truncation, device)
    if args.npy:
        write_option_file("--npy", args.npy, lambda fh: np.save(fh, images))
    out = args.out
    if args.match_histograms:
        r = images.shape[1]
        reference = histogram_reference(args.match_histograms, r, generator.config, n=args.n_reference,
                                        seed=args.seed)
        images = match_histograms(images, reference)
        if out is not None:
            out = out[:-4] + "_histmatched.png" if out.endswith(".png") else out + "_histmatched"
        inform(args, f"post-processing: per-channel histogram matching to {len(reference)} images of "
                     f"{args.match_histograms} (drawn at random, seed {args.seed})")
    stage = args.stage if args.stage is not None else len(generator.stages) - 1
    size = f"{generator.resolutions[stage]}x{generator.resolutions[stage]}"
    if args.png_dir is not None:
        paths = save_image_files(images, args.png_dir, force=args.force)
        inform(args, f"wrote {args.n} samples of stage {stage} ({size}) to {paths[0].parent}/ ({paths[0].name} ... "
                     f"{paths[-1].name})")
    if out is not None:
        path = save_image_grid(images, out)
        inform(args, f"wrote {args.n} samples of stage {stage} ({size}) to {path}")
    return 0


def truncated_samples(generator: ProgressiveGenerator, n: int, seed: int, stage: int | None, psi: float,
                      device: torch.device, batch_size: int = 1024) -> NDArray[np.float32]:
    r"""Images of the latents of ``generator.sample(n, seed, stage)`` scaled by :math:`\psi`.

    The generator is affine, :math:`x = z F + b + \mu_X`, so image ``i`` is
    :math:`(b + \mu_X) + \psi\,(x_i - b - \mu_X)` where :math:`x_i` is ``sample``'s image ``i``: for Gaussian
    latents, :math:`N(b + \mu_X, \psi^2 F^T F)`. Generated ``batch_size`` rows at a time, as ``sample`` does.
    """
    last = generator.stage_index(stage)
    s = generator.stages[last]
    out = np.empty((n, s.resolution, s.resolution, s.channels), dtype=np.float32)
    for start in range(0, n, batch_size):
        b = min(batch_size, n - start)
        out[start : start + b] = generator.generate(psi * generator.latents(b, seed, last, start=start), last,
                                                    device=device)
    return out


def _check_sample_memory(args: argparse.Namespace, generator: ProgressiveGenerator) -> None:
    """Refuse ``--n`` before sampling when the samples ``(n, r, r, C)`` float32 and their 8-bit grid (tiles
    magnified to at least 64 pixels, 1-pixel padding) would exceed ``CONVEXGAN_MAX_BYTES``."""
    count = len(generator.stages)
    if args.n < 1 or (args.stage is not None and not -count <= args.stage < count):
        return
    stage = generator.stages[args.stage if args.stage is not None else -1]
    r, C = stage.resolution, stage.channels
    tile = r * max(1, -(-64 // r)) + 1
    check_bytes(args.n * (4 * r * r * C + tile * tile * C),
                f"--n={args.n} samples of {r}x{r}x{C} (float32 samples and their PNG grid)")
