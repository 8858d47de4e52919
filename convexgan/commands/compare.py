"""``convexgan compare``: train non-convex GAN baselines on a problem with a known exact optimum and tabulate
their distance to it against time, next to the closed form's time."""

from __future__ import annotations

import argparse
import math

from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from convexgan._validation import check_int, check_positive
from convexgan.commands import inform
from convexgan.duality.closed_form import beta_from_k

if TYPE_CHECKING:
    from convexgan.baselines import DiracGame, LinearQuadraticGame, RingMixtureGame
    from convexgan.baselines.rule import UpdateRule

PROBLEMS = ("linear-quadratic", "dirac", "8gaussians", "4gaussians")
METHODS = ("gda", "gda-alt", "gradreg", "smoothed-ot", "accept-reject")
DEFAULT_OPTIMIZER = {"linear-quadratic": ("sgd", 1e-2), "dirac": ("sgd", 1e-1),
                     "8gaussians": ("adam", 1e-4), "4gaussians": ("adam", 1e-4)}


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``convexgan compare``."""
    parser = subparsers.add_parser(
        "compare",
        help="compare non-convex GAN trainers with the exact optimum",
        description="Train GDA, alternating GDA, gradient-regularised GDA, the smoothed-OT WGAN and greedy "
        "accept/reject on a problem whose exact optimum is known; print each method's final relative error, "
        "time to a tolerance and seconds per iteration next to the closed form's time, and save the "
        "error-against-time plot.",
    )
    parser.add_argument("--problem", choices=PROBLEMS, default="linear-quadratic")
    parser.add_argument("--data", help="images for linear-quadratic: anything convexgan.data reads (.npz, tar, "
                        "folder, IDX); default: Gaussian samples")
    parser.add_argument("--resolution", type=int, default=8, help="image side after downsampling (default 8)")
    parser.add_argument("--limit", type=int, default=10000,
                        help="number of images read: the first LIMIT in sorted order (default 10000)")
    parser.add_argument("--dim", type=int, default=3, help="dimension of the Gaussian data (default 3)")
    parser.add_argument("--samples", type=int, default=2000, help="number of Gaussian samples (default 2000)")
    parser.add_argument("--k", type=int, help="components kept by the closed form (sets beta; needs --rho > 0)")
    parser.add_argument("--rho", type=float, default=0.0,
                        help="critic penalty rho of linear-quadratic and dirac (default 0: unregularised)")
    parser.add_argument("--methods", default=",".join(METHODS), help=f"comma-separated subset of {','.join(METHODS)}")
    parser.add_argument("--steps", type=int, default=5000)
    parser.add_argument("--lr", type=float, help="step size (default: 1e-2 SGD linear-quadratic, 1e-1 SGD dirac, "
                        "1e-4 Adam toys)")
    parser.add_argument("--eta", type=float, default=0.5, help="gradient-regularisation weight (default 0.5)")
    parser.add_argument("--eps", type=float, help="entropic regularisation of smoothed-ot (default 2 beta, or 0.1)")
    parser.add_argument("--acceptance", choices=("deterministic", "every", "temperature"), default="every")
    parser.add_argument("--critic-steps", type=int, default=5, help="critic steps of accept-reject (default 5)")
    parser.add_argument("--tol", type=float, default=1e-3, help="relative-error tolerance (default 1e-3)")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--max-seconds", type=float, help="training-time budget per method")
    parser.add_argument("--stop-at-tol", action="store_true", help="stop each method once it reaches --tol")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, help="torch intra-op threads (default: torch's own setting)")
    parser.add_argument("--plot", help="save the error-against-time plot to this PNG")
    parser.set_defaults(func=run)


def gaussian_samples(dim: int, n: int, seed: int) -> NDArray[np.float64]:
    """``n`` samples of :math:`N(0, \\Sigma)`, :math:`\\Sigma` with eigenvalues ``2, 1, ..., 0.3`` (geometric) in
    a random basis."""
    rng = np.random.default_rng(seed)
    lam = np.geomspace(2.0, 0.3, dim) if dim > 1 else np.array([2.0])
    Q = np.linalg.qr(rng.standard_normal((dim, dim)))[0]
    return rng.standard_normal((n, dim)) * np.sqrt(lam) @ Q.T


def problem_data(args: argparse.Namespace) -> tuple[NDArray[np.float64], str]:
    """The data rows of the linear-quadratic problem and a description."""
    from convexgan.baselines.images import flatten_centred
    from convexgan.data.open import load_images

    if args.data:
        X = flatten_centred(load_images(args.data, args.resolution, n_images=args.limit, subset="first"))[0]
        return X, f"{args.data} ({X.shape[0]} images, {args.resolution}x{args.resolution}, d={X.shape[1]})"
    return gaussian_samples(args.dim, args.samples, args.seed), f"Gaussian (n={args.samples}, d={args.dim})"


def make_game(args: argparse.Namespace, X: NDArray[np.float64] | None,
              beta: float) -> LinearQuadraticGame | DiracGame | RingMixtureGame:
    """A fresh game of ``args.problem`` (the same seed gives the same initial point)."""
    from convexgan.baselines import DiracGame, LinearQuadraticGame, RingMixtureGame

    if args.problem == "linear-quadratic":
        return LinearQuadraticGame(X, beta=beta, rho=args.rho, seed=args.seed)
    if args.problem == "dirac":
        return DiracGame((1.0,), rho=args.rho)
    if args.problem == "8gaussians":
        return RingMixtureGame(8, 2.0, 0.02, seed=args.seed)
    return RingMixtureGame(4, 1.0, 0.01, seed=args.seed)


def make_rule(name: str, args: argparse.Namespace, beta: float) -> UpdateRule:
    """The update rule ``name`` with the command's settings."""
    from convexgan.baselines import (
        AlternatingGDA, GradientRegularisedGDA, GreedyAcceptReject, SimultaneousGDA, SmoothedOT,
    )

    optimizer, lr = DEFAULT_OPTIMIZER[args.problem]
    common: dict[str, Any] = dict(lr=lr if args.lr is None else args.lr, optimizer=optimizer, betas=(0.5, 0.999))
    if name == "gda":
        return SimultaneousGDA(**common)
    if name == "gda-alt":
        return AlternatingGDA(**common)
    if name == "gradreg":
        return GradientRegularisedGDA(eta=args.eta, **common)
    if name == "smoothed-ot":
        return SmoothedOT(eps=smoothed_ot_eps(args, beta), seed=args.seed, **common)
    return GreedyAcceptReject(critic_steps=args.critic_steps, acceptance=args.acceptance, seed=args.seed, **common)


def smoothed_ot_eps(args: argparse.Namespace, beta: float) -> float:
    """The smoothing of ``smoothed-ot``: ``--eps``, else ``2 beta`` (0.1 when beta is 0)."""
    return float(args.eps) if args.eps is not None else (2 * beta if beta > 0 else 0.1)


def format_seconds(value: float | None) -> str:
    """Seconds in a short fixed format, or 'not reached'."""
    return "not reached" if value is None else f"{value:.3g}"


def run(args: argparse.Namespace) -> int:
    """Run the comparison; print the table and save the plot."""
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise ValueError(f"--methods={args.methods!r} must be a comma-separated subset of {','.join(METHODS)}")
    check_positive(args.tol, "--tol")
    import torch

    from convexgan.baselines import plot_error_vs_time, train

    X, description, beta = None, args.problem, 0.0
    if args.problem == "linear-quadratic":
        X, description = problem_data(args)
        if args.k is not None:
            if args.rho <= 0:
                raise ValueError(f"--k={args.k} sets beta > 0, which needs a critic penalty --rho > 0 (got {args.rho})")
            beta = beta_from_k(X, args.k)
    elif args.k is not None or args.data:
        raise ValueError(f"--k and --data apply to --problem linear-quadratic only, not {args.problem!r}")
    if args.threads is not None:
        torch.set_num_threads(check_int(args.threads, "--threads", 1, 1024))
    histories, exact_seconds = [], None
    for name in methods:
        game = make_game(args, X, beta)
        exact_seconds = game.exact_seconds if exact_seconds is None else exact_seconds
        rule = make_rule(name, args, beta)
        histories.append(train(game, rule, args.steps, log_every=args.log_every,
                               tol=args.tol if args.stop_at_tol else None, max_seconds=args.max_seconds,
                               progress=not args.quiet))
    print(f"problem: {description}; beta={beta:.4g}, rho={args.rho:g}, eta={args.eta:g}, steps={args.steps}, "
          f"seed={args.seed}")
    extra = [key for key in ("modes", "quality") if key in histories[0].metrics]
    header = ["method", "final rel. error", f"time to {args.tol:g} (s)", "iterations", "s / iteration",
              "closed form (s)", "ratio"] + extra
    rows = []
    for history in histories:
        reached = history.time_to("relative_error", args.tol)
        ratio = "n/a" if reached is None or not exact_seconds else f"{reached / exact_seconds:.3g}"
        final = history.final("relative_error")
        rows.append([history.method + (" (diverged)" if history.diverged else ""),
                     f"{final:.3g}" if math.isfinite(final) else str(final),
                     format_seconds(reached), str(history.iterations_to("relative_error", args.tol) or "-"),
                     f"{history.seconds_per_iteration():.3g}",
                     "n/a" if exact_seconds is None else f"{exact_seconds:.3g}", ratio]
                    + [f"{history.final(key):g}" for key in extra])
    if exact_seconds is not None:
        inform(args, "closed form: timed once, on the first method's game, from S_X (eigen-decomposition, "
                     "soft-threshold, weights); training time excludes the measurements")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if "smoothed-ot" in methods and args.problem == "linear-quadratic":
        eps = smoothed_ot_eps(args, beta)
        inform(args, f"note: smoothed-ot (eps={eps:g}) has its own optimum, (S_X - (eps/2) I)_+ for Gaussian data; "
                     f"it is the closed form above only when eps = 2 beta and the data are Gaussian")
    if args.plot:
        plot_error_vs_time(histories, args.plot, tol=args.tol, exact_seconds=exact_seconds,
                           title=f"{args.problem}: distance to the exact optimum")
        inform(args, f"plot saved to {args.plot}")
    return 0
