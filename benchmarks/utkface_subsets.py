"""Subsets and hold-outs on UTKFace: the issue's checks, end to end through the command line.

    python benchmarks/utkface_subsets.py [--data ../shared/data/utkface200.tar] [--out /tmp/utkface_subsets]

1. ``--n-images 2000`` (a seeded random subset) against the first 2,000: median age (the file names start with
   the age) against the whole set's.
2. ``convexgan train DATA --n-images 2000 --resolutions 4 8 16 32``, then ``convexgan evaluate RUN DATA --n
   1000``: how many of the real images it read are training images (from the run's ``images.json``).
3. ``convexgan sample RUN --match-histograms DATA``: the mean colour of the matched samples (as the command
   computes them) against the whole set's at the same resolution, for the random reference and, for contrast,
   the first 1,000 images.
"""

import argparse
import json
import posixpath
import time
from pathlib import Path

import numpy as np

from convexgan.cli import main as cli
from convexgan.data import load_images, open_images
from convexgan.data.histograms import histogram_reference, match_histograms
from convexgan.progressive import load_generator
from convexgan.progressive.runs.folder import read_config


def median_ages(data):
    source = open_images(data, n_images=2000)
    ages = lambda items: np.array([int(posixpath.basename(m.name).split("_")[0]) for m in items])  # noqa: E731
    everyone = ages(source.candidates)
    return np.median(everyone), np.median(ages(source.items)), np.median(everyone[:2000])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared/data/utkface200.tar"))
    parser.add_argument("--out", default="/tmp/utkface_subsets")
    args = parser.parse_args()
    out = Path(args.out)
    run = out / "run"

    whole, chosen, first = median_ages(args.data)
    print(f"median age: whole set {whole:g}, random 2000 (seed 0) {chosen:g}, first 2000 {first:g}")

    start = time.perf_counter()
    if not (run / "stage03_32x32.npz").exists():
        cli(["train", args.data, "--out", str(run), "--n-images", "2000", "--resolutions", "4", "8", "16", "32",
             "--quiet"] + (["--resume"] if (run / "config.json").exists() else []))
    print(f"train: {time.perf_counter() - start:.1f} s")
    start = time.perf_counter()
    cli(["evaluate", str(run), args.data, "--n", "1000", "--json", str(out / "evaluate.json")])
    result = json.loads((out / "evaluate.json").read_text())
    used = set(json.loads((run / "images.json").read_text())["indices"])
    drawn = set(result["real_images"]["indices"])
    print(f"evaluate: {time.perf_counter() - start:.1f} s; {len(drawn)} real images read, {len(drawn & used)} of them "
          f"among the run's {len(used)} training images; {result['real_images']['unseen']} unseen")

    cli(["sample", str(run), "--n", "64", "--out", str(out / "grid.png"), "--match-histograms", args.data])
    config = read_config(run)
    samples = load_generator(run).sample(64, seed=0)
    data_mean = 255 * load_images(args.data, 32, base=32).reshape(-1, 3).mean(0, dtype=np.float64)
    print(f"data mean RGB at 32x32 (all {len(open_images(args.data))} images): {np.round(data_mean, 2)}")
    for label, reference in (
        ("random 1000 (sample's reference)", histogram_reference(args.data, 32, config, n=1000, seed=0)),
        ("first 1000 (older versions)", load_images(args.data, 32, n_images=1000, subset="first", base=32)),
    ):
        mean = 255 * match_histograms(samples, reference).reshape(-1, 3).mean(0, dtype=np.float64)
        print(f"matched samples' mean RGB, reference {label}: {np.round(mean, 2)}; "
              f"max |difference| with the data: {np.abs(mean - data_mean).max():.2f} / 255")


if __name__ == "__main__":
    main()
