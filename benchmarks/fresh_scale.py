"""Principled mode: how the scale of the fresh latent columns shapes the stages (exact, from the affine maps).

Every choice of the fresh columns' variance ``c_i^2 = fresh_ratio * s2_min`` gives the same feasible, exact stages
(same ``S_G = (S_X - beta I)_+``); it decides which input directions feed which data directions. With the fresh
columns ranked below the previous stage's directions (``fresh_ratio < 1``) the previous stage's image is kept and
refined; ranked above (``fresh_ratio > 1``) the new latents take the strongest data directions and the stage
redraws the image. Measured exactly from the generator's affine maps ``g_i = z F_i``:

- stage coherence ``E||g_i - up(g_{i-1})||^2 / E||g_i||^2 = ||F_i - [up(F_{i-1}); 0]||_F^2 / ||F_i||_F^2``
  (same latents; 0 = the stage only adds detail, about 2 = unrelated images);
- generator norm ``||W_i||_F`` (the regulariser the closed form minimises for the given input);
- the constraint value ``||S_X - S_G||_2 / beta`` from report.json.

Usage: ``python benchmarks/fresh_scale.py [--data TAR] [--n-images 2000] [--ratios 0.25 4]``
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

from convexgan.progressive import train
from convexgan.progressive.model.generator import upsample


def coherence(generator, i):
    """``||F_i - [up(F_{i-1}); 0]||_F^2 / ||F_i||_F^2`` for stage ``i >= 1``."""
    F, _ = generator.affine_map(i)
    F_prev, _ = generator.affine_map(i - 1)
    prev = generator.stages[i - 1]
    up = upsample(F_prev, prev.resolution, prev.channels)
    padded = torch.cat([up, torch.zeros(F.shape[0] - up.shape[0], up.shape[1], dtype=up.dtype)])
    return float((F - padded).square().sum() / F.square().sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data" /
                        "celeba10k_89x109.tar")
    parser.add_argument("--n-images", type=int, default=2000)
    parser.add_argument("--resolutions", type=int, nargs="+", default=[4, 8, 16, 32])
    parser.add_argument("--ratios", type=float, nargs="+", default=[0.25, 4.0])
    args = parser.parse_args()
    print(f"data {args.data}, first {args.n_images} images, resolutions {args.resolutions}, official k")
    print("| fresh_ratio | stage | res | k | fresh columns | coherence E||g_i - up(g_i-1)||^2 / E||g_i||^2 "
          "| ||W_i||_F | ||S_X-S_G||/beta |")
    print("|---|---|---|---|---|---|---|---|")
    for ratio in args.ratios:
        with tempfile.TemporaryDirectory() as out:
            generator = train(args.data, Path(out) / "run", resolutions=args.resolutions, n_images=args.n_images,
                              subset="first", fresh_ratio=ratio, progress=False)
            report = json.loads((Path(out) / "run" / "report.json").read_text())
        for i, s in enumerate(report["stages"][1:], start=1):
            print(f"| {ratio} | {i} | {s['resolution']} | {s['k']} | {s['input']['fresh']} | "
                  f"{coherence(generator, i):.4f} | {s['weight_norm']:.4g} | {s['constraint_value']:.10f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
