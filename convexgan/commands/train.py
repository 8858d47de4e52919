"""``convexgan train DATA --out RUN``: progressive convex training on images, one closed-form stage per resolution.

Each stage's row is printed as the stage ends. Ctrl-C ends the command with one line on standard error, saying
how many stages are saved and the command that resumes the run (exit status 130).
"""

import argparse
import json
import shlex
import sys
from typing import TYPE_CHECKING, Any

from convexgan import choices
from convexgan._validation import device_argument
from convexgan.commands import inform

if TYPE_CHECKING:
    from convexgan.progressive.config import TrainConfig


def _attribute(text: str) -> tuple[str, bool]:
    name, _, value = text.partition("=")
    if value not in ("", "1", "+1", "-1", "0", "true", "false"):
        raise ValueError(f"--attribute {text!r} must be NAME, NAME=1 or NAME=-1")
    return name, value in ("", "1", "+1", "true")


def add_parser(subparsers: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    """Register the ``train`` sub-command (data-parallel under ``torchrun --nproc_per_node P -m convexgan train``)."""
    p = subparsers.add_parser(
        "train",
        help="train a progressive linear generator on images (closed form per stage)",
        description="Progressive convex GAN training (ProCoGAN): every stage solved in closed form against a "
        "quadratic critic, with checkpoints, a report and sample grids per stage in the run folder.",
    )
    p.add_argument("data", help="image folder (CelebA layout accepted), tar archive, .npz or IDX file")
    p.add_argument("--out", required=True, help="run folder")
    p.add_argument("--resolutions", type=int, nargs="+", default=list(choices.DEFAULT_RESOLUTIONS))
    group = p.add_mutually_exclusive_group()
    group.add_argument("--k", type=int, nargs="+", help=f"kept components per stage (default {' '.join(map(str, choices.OFFICIAL_K))}, "
                       f"truncated; past five stages round(175 * {choices.K_CONTINUATION_RATIO:g}^(t - 5)) at "
                       "stage t: 306 536 ...)")
    group.add_argument("--beta", type=float, nargs="+", help="critic regularisation per stage (mean units)")
    p.add_argument("--mode", choices=choices.TRAINING_MODES, default=choices.TRAINING_MODES[0])
    p.add_argument("--n-images", type=int, metavar="N",
                   help="use N images (default: all), drawn at random with --seed unless --subset first; the run "
                        "records which in RUN/images.json")
    p.add_argument("--subset", choices=["random", "first"], default="random",
                   help="how --n-images chooses: a seeded random subset, stable across versions (default "
                        "%(default)s), or the first N in sorted path order")
    p.add_argument("--include", action="append", metavar="GLOB",
                   help="keep the images whose path relative to DATA (or tar member name) matches GLOB, e.g. "
                        "'train/*' (repeatable: any of them; default: all)")
    p.add_argument("--class", dest="classes", action="append", metavar="NAME",
                   help="keep the images with a folder named NAME anywhere on their path inside DATA, e.g. "
                        "CIFAR-style class folders train/horse/ (NAME horse also keeps horse/female/*; repeatable: "
                        "any of them; default: all)")
    p.add_argument("--latent", type=int, default=choices.DEFAULT_LATENT, help="latent columns of the first stage")
    p.add_argument("--base-resolution", type=int, metavar="R",
                   help="resize every frame to R x R first, then to each resolution; a run can later grow "
                   "(--resume with resolutions appended) up to R (default: on --resume the recorded R, else the "
                   "largest doubling of the largest resolution that fits the first frame's smaller side after "
                   f"--crop, at most {choices.MAX_DEFAULT_BASE})")
    p.add_argument("--crop", choices=["none", "center", "celeba"], default="none",
                   help="none: the whole frame (a frame that is not square is squashed, with a warning); center: "
                        "the largest centred square; celeba: the official CelebA 128x128 box at (89, 121), scaled "
                        "to the frame (default %(default)s)")
    p.add_argument("--attribute", action="append", default=[], metavar="NAME[=1|-1]",
                   help="CelebA attribute filter from list_attr_celeba.txt (repeatable)")
    p.add_argument("--device", type=device_argument, default="auto",
                   help="auto (CUDA when available), cpu, cuda or cuda:N")
    p.add_argument("--dtype", choices=choices.MOMENT_DTYPES, default=choices.MOMENT_DTYPES[0])
    p.add_argument("--eigensolver", choices=choices.EIGENSOLVERS, default=choices.EIGENSOLVERS[0], help="data eigenpairs: the d x d moment (dense, eigsh, lobpcg, randomized), the "
                   "pixels through the operator (block Krylov) or the n x n Gram; auto chooses per stage")
    p.add_argument("--noise-rows", type=int, help="legacy mode: noise rows per stage (default: number of images)")
    p.add_argument("--legacy-dtype", choices=choices.LEGACY_DTYPES, default=choices.LEGACY_DTYPES[0],
                   help="legacy mode: the official code's arithmetic (auto: float64 on CPU, float32 on CUDA)")
    p.add_argument("--seed", type=int, default=choices.DEFAULT_SEED)
    p.add_argument("--resume", action="store_true", help="continue the run in --out, skipping finished stages")
    p.add_argument("--strict", action="store_true", help="stop at the first unreadable image")
    p.add_argument("--workers", type=int,
                   help="threads decoding images (default: the available cores, divided among torchrun processes)")
    p.add_argument("--cache", choices=choices.CACHE_MODES, default=choices.CACHE_MODES[0],
                   help="pixel cache of the data pass: disk keeps it in the run folder so that --resume does not "
                   "decode again (a memory cache is written there on Ctrl-C); auto = memory when it fits a quarter "
                   "of the memory limit, else disk (default: auto)")
    p.add_argument("--jpeg-draft", action="store_true",
                   help="decode JPEGs at reduced size when the frame is at least twice the base resolution "
                   "(faster; slightly different pixels)")
    p.add_argument("--config", metavar="FILE",
                   help="read the options from a JSON object: a run's config.json or your own, with the option "
                        "names of this command as keys in their Python spelling (n_images, base_resolution, ...; "
                        "attributes as {NAME: true|false}); options given on the command line override it, unknown "
                        "keys are refused (a run's 'data' and 'data_fingerprint' are records, ignored)")
    p.add_argument("--background", metavar="COLOR",
                   help=f"colour that images with transparency (RGBA, LA, palette with transparency) are composited "
                        f"onto: {', '.join(choices.BACKGROUND_NAMES)}, #rrggbb, r,g,b, or {choices.LEGACY_BACKGROUND} "
                        f"(drop the alpha channel); default {choices.DEFAULT_BACKGROUND} for a new run, the run's own "
                        f"with --resume (none for runs recorded before this option)")
    p.set_defaults(func=run, parser=p)


def run(args: argparse.Namespace) -> int:
    """Train, printing each stage's row as it ends, then one summary line; on Ctrl-C, the line that resumes."""
    if args.config is not None:
        args = with_config(args)
    attributes = dict(_attribute(a) for a in args.attribute) or None
    from convexgan.progressive import TrainConfig, train
    from convexgan.progressive.runtime.distributed import world
    from convexgan.progressive.runtime.progress import RowPrinter
    from convexgan.progressive.runs.folder import REPORT

    k = args.k[0] if args.k and len(args.k) == 1 and len(args.resolutions) > 1 else args.k
    beta = args.beta[0] if args.beta and len(args.beta) == 1 and len(args.resolutions) > 1 else args.beta
    config = TrainConfig(resolutions=args.resolutions, k=k, beta=beta, mode=args.mode, n_images=args.n_images,
                         subset=args.subset, include=args.include, classes=args.classes, latent=args.latent,
                         crop=args.crop, attributes=attributes, device=args.device,
                         dtype=args.dtype, seed=args.seed, resume=args.resume, strict=args.strict,
                         noise_rows=args.noise_rows, legacy_dtype=args.legacy_dtype, eigensolver=args.eigensolver,
                         workers=args.workers, cache=args.cache, jpeg_draft=args.jpeg_draft,
                         base_resolution=args.base_resolution, progress=not args.quiet, on_stage=RowPrinter(),
                         background=args.background)
    try:
        train(args.data, args.out, config)
    except KeyboardInterrupt:
        if world()[0] == 0:
            print(interrupted_line(args, config), file=sys.stderr)
        return 130
    if world()[0] != 0:
        return 0
    report = _summary_fields(f"{args.out}/{REPORT}")
    inform(args, f"{report['n_images']} images ({report['skipped_images']} skipped), mode {args.mode}, "
                 f"{len(report['stages'])} of {len(config.resolutions)} stages in {args.out}")
    for p in report.get("data_passes", [])[0 if args.verbose else -1:]:
        rate = f", {p['images_per_second']:.0f} images/s" if p.get("images_per_second") else ""
        alpha = "" if p.get("alpha_images") is None else \
            f"; {p['alpha_images']} with transparency, background {p['background']}"
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in p["phases"].items())
        inform(args, f"data pass {p['seconds']:.2f} s ({phases}{rate}; {p['workers']} workers, pixel cache "
                     f"{p['cache']['mode']}{' reused' if p['cache']['reused'] else ''}{alpha})")
    return 0


def _summary_fields(path: str) -> dict[str, Any]:
    """The fields of ``report.json`` the summary line prints, each checked: a report edited by hand (a field
    removed, a wrong type, JSON nested past the parser's depth) is a ``ValueError`` naming the file, the field,
    the value and what was expected, never a raw ``KeyError``/``AttributeError``/``RecursionError``."""
    try:
        with open(path) as fh:
            report = json.load(fh)
    except (OSError, ValueError, RecursionError) as err:
        raise ValueError(f"{path} cannot be read as JSON ({type(err).__name__}: {err})") from None
    if not isinstance(report, dict):
        raise ValueError(f"{path} must hold a JSON object; got {type(report).__name__}")
    expected: dict[str, tuple[type, ...]] = {"n_images": (int,), "skipped_images": (int,), "stages": (list,),
                                             "data_passes": (list,)}
    for field, types in expected.items():
        value = report.get(field, [] if field == "data_passes" else None)
        if not isinstance(value, types) or isinstance(value, bool):
            raise ValueError(f"{path} field {field!r} is {value!r}; expected {' or '.join(t.__name__ for t in types)}")
    passes = report["data_passes"][-1:]
    for p in passes:
        ok = (isinstance(p, dict) and isinstance(p.get("seconds"), (int, float)) and isinstance(p.get("phases"), dict)
              and all(isinstance(v, (int, float)) for v in p["phases"].values())
              and isinstance(p.get("cache"), dict) and "mode" in p["cache"] and "workers" in p
              and isinstance(p.get("images_per_second", 0) or 0, (int, float)))
        if not ok:
            raise ValueError(f"{path} field 'data_passes' holds {p!r}; expected objects with seconds, phases "
                             f"(name -> seconds), images_per_second, workers and cache {{mode, reused}}")
    return dict(report, data_passes=passes)


def interrupted_line(args: argparse.Namespace, config: "TrainConfig") -> str:
    """What an interrupted training prints: the stages saved in the run folder and the command that resumes."""
    from convexgan.progressive.runs.checkpoint import stage_path

    saved = 0
    while saved < len(config.resolutions) and stage_path(args.out, saved, config.resolutions[saved]).exists():
        saved += 1
    return (f"interrupted: {saved} of {len(config.resolutions)} stages saved in {shlex.quote(args.out)}; resume with: "
            f"{resume_command(args)}")


def resume_command(args: argparse.Namespace) -> str:
    """The ``convexgan train`` command line of ``args`` with ``--resume``, shell-quoted.

    The options whose parsed values differ from their defaults are written back, in the parser's order, so the
    command describes the same run as ``args``.
    """
    words = ["convexgan", "train", args.data, "--out", args.out, "--resume"]
    for action in args.parser._actions:
        value = getattr(args, action.dest, None)
        if not action.option_strings or action.dest in ("help", "out", "resume") or value in (None, False, []) \
                or value == action.default:
            continue
        flag = action.option_strings[-1]
        if value is True:
            words.append(flag)
        elif isinstance(value, list) and action.nargs in ("+", "*"):
            words += [flag, *map(str, value)]
        elif isinstance(value, list):  # a repeatable option (action="append")
            words += [word for item in value for word in (flag, str(item))]
        else:
            words += [flag, str(value)]
    return shlex.join(words)


RECORD_ONLY = ("data", "data_fingerprint")
"""Keys of a run's ``config.json`` that record the run rather than choose an option: ignored by ``--config``."""
NOT_CONFIGURABLE = ("config", "data", "out", "func", "parser", "argv", "command", "quiet", "verbose", "help")
"""Destinations of ``train``'s parser that a ``--config`` file cannot set."""


def config_options(path: str, parser: argparse.ArgumentParser) -> dict[str, Any]:
    """The options of the JSON object in ``path`` as ``train``'s argparse destinations.

    A run's ``config.json`` is accepted as written: ``attributes`` ``{NAME: bool}`` becomes ``--attribute``'s
    ``NAME=1`` / ``NAME=-1``, ``fresh_ratio`` must be the default (it has no option), ``None`` values are left to
    the defaults and :data:`RECORD_ONLY` keys are ignored. Any other key must be an option's destination.
    """
    try:
        with open(path, encoding="utf-8") as fh:
            record = json.load(fh)
    except OSError as err:
        raise ValueError(f"--config {path} cannot be read ({err})") from None
    except json.JSONDecodeError as err:
        raise ValueError(f"--config {path} is not valid JSON ({err})") from None
    if not isinstance(record, dict):
        raise TypeError(f"--config {path} must hold a JSON object of options; got {type(record).__name__}")
    dests = {a.dest for a in parser._actions if a.dest not in NOT_CONFIGURABLE}
    allowed = dests | {"attributes", "fresh_ratio"}
    unknown = sorted(key for key in record if key not in allowed and key not in RECORD_ONLY)
    if unknown:
        raise ValueError(f"--config {path}: unknown key(s) {unknown}; the keys are {sorted(allowed)}")
    if record.get("fresh_ratio", choices.FRESH_RATIO) != choices.FRESH_RATIO:
        raise ValueError(f"--config {path}: fresh_ratio={record['fresh_ratio']!r} has no command-line option; only "
                         f"the default {choices.FRESH_RATIO} can be trained from the command line")
    options = {key: value for key, value in record.items()
               if key in dests and value is not None}
    attributes = record.get("attributes")
    if attributes is not None:
        if not isinstance(attributes, dict):
            raise TypeError(f"--config {path}: attributes must be an object {{NAME: true|false}}; got {attributes!r}")
        options["attribute"] = [f"{name}={1 if keep else -1}" for name, keep in attributes.items()]
    return options


def with_config(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with the options of ``--config`` under those given on the command line (``args.argv``)."""
    options = config_options(args.config, args.parser)
    argv = list(args.argv)
    given = {token.split("=", 1)[0] for token in argv}
    for action in args.parser._actions:
        if given & set(action.option_strings):  # the command line's value replaces the file's, lists included
            options.pop(action.dest, None)
    for option, other in (("--k", "beta"), ("--beta", "k")):
        if option in given:
            options.pop(other, None)
    merged: argparse.Namespace = args.parser.parse_args(argv[argv.index("train") + 1:],
                                                        namespace=argparse.Namespace(**options))
    merged.argv, merged.command = args.argv, args.command
    return merged
