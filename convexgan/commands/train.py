"""``convexgan train DATA --out RUN``: progressive convex training on images, one closed-form stage per resolution."""

import json

from convexgan._validation import device_argument


def _attribute(text):
    name, _, value = text.partition("=")
    if value not in ("", "1", "+1", "-1", "0", "true", "false"):
        raise ValueError(f"--attribute {text!r} must be NAME, NAME=1 or NAME=-1")
    return name, value in ("", "1", "+1", "true")


def add_parser(subparsers):
    """Register the ``train`` sub-command (data-parallel under ``torchrun --nproc_per_node P -m convexgan train``)."""
    p = subparsers.add_parser(
        "train",
        help="train a progressive linear generator on images (closed form per stage)",
        description="Progressive convex GAN training (ProCoGAN): every stage solved in closed form against a "
        "quadratic critic, with checkpoints, a report and sample grids per stage in the run folder.",
    )
    p.add_argument("data", help="image folder (CelebA layout accepted), tar archive, .npz or IDX file")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--resolutions", type=int, nargs="+", default=[4, 8, 16, 32, 64])
    group = p.add_mutually_exclusive_group()
    group.add_argument("--k", type=int, nargs="+", help="kept components per stage (default 20 30 40 100 175)")
    group.add_argument("--beta", type=float, nargs="+", help="critic regularisation per stage (mean units)")
    p.add_argument("--mode", choices=["principled", "legacy"], default="principled")
    p.add_argument("--n-images", type=int, help="use the first N images")
    p.add_argument("--latent", type=int, default=48, help="latent columns of the first stage")
    p.add_argument("--crop", action="store_true", help="official CelebA 128x128 centre crop at (89, 121)")
    p.add_argument("--attribute", action="append", default=[], metavar="NAME[=1|-1]",
                   help="CelebA attribute filter from list_attr_celeba.txt (repeatable)")
    p.add_argument("--device", type=device_argument, default="auto",
                   help="auto (CUDA when available), cpu, cuda or cuda:N")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    p.add_argument("--eigensolver", choices=["auto", "dense", "eigsh", "lobpcg", "randomized"], default="auto")
    p.add_argument("--noise-rows", type=int, help="legacy mode: noise rows per stage (default: number of images)")
    p.add_argument("--legacy-dtype", choices=["auto", "float64", "float32"], default="auto",
                   help="legacy mode: the official code's arithmetic (auto: float64 on CPU, float32 on CUDA)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--resume", action="store_true", help="continue the run in --out, skipping finished stages")
    p.add_argument("--strict", action="store_true", help="stop at the first unreadable image")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def run(args):
    """Train, then print one line per stage from the report."""
    from convexgan.progressive import TrainConfig, train
    from convexgan.progressive.distributed import world
    from convexgan.progressive.run import REPORT

    attributes = dict(_attribute(a) for a in args.attribute) or None
    k = args.k[0] if args.k and len(args.k) == 1 and len(args.resolutions) > 1 else args.k
    beta = args.beta[0] if args.beta and len(args.beta) == 1 and len(args.resolutions) > 1 else args.beta
    config = TrainConfig(resolutions=args.resolutions, k=k, beta=beta, mode=args.mode, n_images=args.n_images,
                         latent=args.latent, crop=args.crop, attributes=attributes, device=args.device,
                         dtype=args.dtype, seed=args.seed, resume=args.resume, strict=args.strict,
                         noise_rows=args.noise_rows, legacy_dtype=args.legacy_dtype, eigensolver=args.eigensolver,
                         progress=not args.quiet)
    train(args.data, args.out, config)
    if world()[0] != 0:
        return 0
    with open(f"{args.out}/{REPORT}") as fh:
        report = json.load(fh)
    print(f"{report['n_images']} images ({report['skipped_images']} skipped), mode {args.mode}, run folder {args.out}")
    print(f"{'stage':>5} {'res':>5} {'d':>6} {'k':>4} {'beta':>11} {'||S_X-S_G||/beta':>17} {'residual':>9} {'s':>7}")
    for s in report["stages"]:
        print(f"{s['index']:>5} {s['resolution']:>5} {s['d']:>6} {s['k']:>4} {s['beta']:>11.4e} "
              f"{s['constraint_value']:>17.10f} {s['eigensolver']['residual']:>9.1e} {s['seconds']:>7.2f}")
    return 0
