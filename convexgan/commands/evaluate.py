"""``convexgan evaluate RUN DATA``: a trained progressive run against real images, stage by stage, with a floor.

For every finished stage of the run, at the stage's resolution, ``N`` fresh samples are compared with ``N`` real
images (half A) by moment errors, Bures-W2, the pyramid sliced Wasserstein distance and, when a feature
extractor file is given, FID and KID. Another ``N`` real images (half B, disjoint from A) are compared with A by
the same metrics: the floor that any generator can reach with that many samples.

The ``2 N`` real images are drawn at random (seed ``--seed``) from the images the run did not train on: the
run's ``images.json`` lists the training images by their index in the sorted list of candidates, with that
list's SHA-256, and the data given must have the same list (else every image counts as unseen, with a
warning: right for a separate test set). When fewer than ``2 N`` unseen images exist the draw goes on with
training images, with a :class:`convexgan.exceptions.TrainingImagesWarning` saying how many are unseen.
``--subset first --skip S`` takes images ``S + 1 .. S + 2 N`` in sorted order instead (the behaviour of older
versions, which had ``--skip`` alone).
"""

import argparse
import json
import math
import warnings
from collections.abc import Mapping
from typing import Any


from convexgan._files import write_option_file
from convexgan.exceptions import ConvexGANWarning

COLUMNS = (
    ("mean_error", "mean error", "{:.4g}"),
    ("second_moment_error", "2nd-moment rel. error", "{:.4f}"),
    ("constraint_value", "(C) value", "{:.3f}"),
    ("bures_w2", "Bures-W2", "{:.4f}"),
    ("swd_x1e3", "SWD x1e3", "{:.2f}"),
    ("fid", "FID", "{:.2f}"),
    ("kid_x1e3", "KID x1e3", "{:.2f}"),
)
LEGEND = (
    "Columns (lower is better in each; S are second moments of pixels centred by the mean of real half A, beta "
    "the stage's own from report.json). mean error = norm_2(mu_G - mu_X), pixel units (0 black, 1 white). "
    "2nd-moment rel. error = norm_F(S_G - S_X) / norm_F(S_X). (C) value = norm_2(S_X - S_G) / beta: the "
    "constraint (C) of the quadratic critic, i.e. the largest |E_X (u^T x)^2 - E_G (u^T g)^2| over unit directions "
    "u (what the best quadratic critic of norm 1 scores), in units of beta. On the training moments it is <= 1 by "
    "construction (report.json's constraint_value); here S_X comes from N held-out images and S_G from N samples, "
    "and their sampling error in the leading eigenvalues can be many times beta, so values far above 1 are "
    "expected: compare the generated row with the floor row (real half B against A, the same N), not with 1. "
    "Bures-W2 = the 2-Wasserstein distance between the Gaussian fits (mean and covariance) of pixels. SWD x1e3 = "
    "the sliced Wasserstein distance of 7x7 patches averaged over the Laplacian-pyramid levels, times 1000 (as "
    "ProGAN; n/a below 7x7), on the 8-bit clipped images (as FID/KID see them). With --extractor: FID = the "
    "Frechet distance between Gaussian fits of the extractor's features, KID x1e3 = the kernel distance of the "
    "features times 1000. The floor row is what a generator equal to the data distribution would score with N "
    "samples."
)


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register ``convexgan evaluate``."""
    parser = subparsers.add_parser(
        "evaluate",
        help="compare a trained progressive run with real images at every stage",
        description="For every finished stage of RUN, N fresh samples are compared with N real images (half A) by "
        "moment errors, Bures-W2, the pyramid sliced Wasserstein distance and, with --extractor, FID and KID; N "
        "other real images (half B) are compared with A by the same metrics: the floor for N samples.",
        epilog=LEGEND,
    )
    parser.add_argument("run", help="run folder written by `convexgan train`")
    parser.add_argument("data", help="real images: folder, tar archive, .npz or IDX (read with the run's crop)")
    parser.add_argument("--n", type=int, default=1000, help="images per set; 2N real images are read (default 1000)")
    parser.add_argument(
        "--extractor",
        metavar="FILE",
        help="local TorchScript feature network, e.g. inception-2015-12-05.pt (never downloaded); enables FID/KID. "
        "Loading it RUNS CODE the file contains: needs --trust-extractor",
    )
    parser.add_argument(
        "--trust-extractor",
        action="store_true",
        help="confirm that the --extractor file is trusted (loading a TorchScript file runs its code)",
    )
    parser.add_argument("--json", metavar="FILE", help="write every number and its provenance to this file")
    parser.add_argument(
        "--subset", choices=["random", "first"], default="random",
        help="random (default): the 2N real images drawn with --seed from the images the run did not train on "
        "(from its images.json), with a warning when too few are left; first: images SKIP+1 .. SKIP+2N in "
        "sorted order (older versions' only behaviour)",
    )
    parser.add_argument(
        "--skip", type=int, default=0, help="with --subset first: skip the first SKIP images of DATA (default 0)"
    )
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the samples, the draw and split of the real images and SWD (default 0)")
    parser.add_argument("--nhoods", type=int, default=128, help="SWD neighbourhoods per image (default 128)")
    parser.add_argument("--device", default="cpu", help="device of the feature extractor (default cpu)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate, print the table, optionally write JSON; return the exit status."""
    if args.extractor and not args.trust_extractor:
        raise ValueError(
            f"--extractor {args.extractor}: loading a TorchScript file runs the code it contains; pass "
            f"--trust-extractor if you trust this file"
        )
    from convexgan.metrics import load_extractor
    from convexgan.progressive.evaluation import evaluate_run

    extractor = load_extractor(args.extractor, device=args.device) if args.extractor else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvexGANWarning)  # each one is printed once, under the table
        result = evaluate_run(
            args.run, args.data, n=args.n, extractor=extractor, seed=args.seed, nhoods=args.nhoods,
            subset=args.subset, skip=args.skip,
        )
    print(format_table(result))
    if args.json:
        text = json.dumps(result, indent=2) + "\n"
        write_option_file("--json", args.json, lambda fh: fh.write(text.encode()))
        print(f"wrote {args.json}")
    return 0


def format_table(result: Mapping[str, Any]) -> str:
    """A Markdown table of :func:`evaluate_run`'s result: per stage, the generated row and the real-real floor."""
    columns = [c for c in COLUMNS if any(s["generated"][c[0]] is not None for s in result["stages"])]
    head = ["stage", "res", "d", "compared with real half A", *[c[1] for c in columns]]
    from convexgan.progressive.evaluation import LABELS

    lines = [
        f"convexgan evaluate: run {result['run']} ({result['mode']}), data {result['data']}, N = {result['n']} per "
        f"set, seed {result['seed']}; real images: {_describe_draw(result)}; samples {result['samples']}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for stage in result["stages"]:
        for key, label in LABELS.items():
            row = stage[key]
            cells = [str(stage["stage"]), f"{stage['resolution']}x{stage['resolution']}", str(stage["d"]), label]
            cells += [_cell(row[c[0]], c[2]) for c in columns]
            lines.append("| " + " | ".join(cells) + " |")
    if result["extractor"]:
        ex = result["extractor"]
        lines += ["", f"features: {ex['name']}; resizer: {ex['resizer']}; input: {ex['input_dtype']}; "
                      f"statistics in {ex['statistics_dtype']}"]
    lines += ["", LEGEND]
    lines += [f"warning: {message}" for message in result["warnings"]]
    return "\n".join(lines)


def _describe_draw(result: Mapping[str, Any]) -> str:
    draw = result["real_images"]
    if draw["subset"] == "first":
        return f"images {result['skip'] + 1} to {result['skip'] + len(draw['indices'])} in sorted order"
    return (f"{len(draw['indices'])} drawn at random from the {draw['unseen']} of {draw['candidates']} the run did "
            f"not train on" + (f" and {draw['training_images']} training images" if draw["training_images"] else ""))


def _cell(value: object, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return fmt.format(value)
