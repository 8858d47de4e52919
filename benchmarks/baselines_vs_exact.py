"""Time to a relative error of 1e-3 of the non-convex GAN trainers against the closed form, on real low-resolution
images (MNIST 8x8 by default), one run each.

Problem: linear generator G = Z W (z ~ N(0, I)) against a quadratic critic x^T A x with Frobenius penalty rho and
generator penalty (beta / rho) tr S_G; its exact optimum is S_G* = (S_X - beta I)_+ (convexgan.baselines.
linear_quadratic). Two settings: the unregularised critic (rho = 0, so beta = 0 and S_G* = S_X; docs/theory.md section 9)
and a soft-threshold keeping k components (rho = 1). The progressive GDA baseline (WGAN-GP, stages 4x4 -> 8x8) is
measured against the closed form of its last stage. Training time excludes the measurements; the closed form is
timed once from S_X, and the time to compute S_X from the images (needed by every method) is printed apart.

Run: python benchmarks/baselines_vs_exact.py [--data ../shared/data/mnist.npz] [--max-seconds 30]
"""

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from convexgan.baselines import (
    AlternatingGDA,
    GradientRegularisedGDA,
    GreedyAcceptReject,
    LinearQuadraticGame,
    ProgressiveGDA,
    SimultaneousGDA,
    SmoothedOT,
    plot_error_vs_time,
    train,
)
from convexgan.baselines.images import downsample, flatten_centred
from convexgan.data.open import load_images
from convexgan.duality.closed_form import beta_from_k, second_moment

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz"


def rules(lr, beta, critic_steps):
    """The iterative methods of one setting."""
    methods = [SimultaneousGDA(lr=lr), AlternatingGDA(lr=lr), GradientRegularisedGDA(eta=0.5, lr=lr),
               GreedyAcceptReject(critic_steps=critic_steps, acceptance="every", lr=lr)]
    if beta > 0:
        methods.append(SmoothedOT(eps=2 * beta, lr=lr, batch_size=256, n_potential=1000))
    return methods


def row(name, history, tol, exact_seconds):
    reached = history.time_to("relative_error", tol)
    return [name + (" (diverged)" if history.diverged else ""), f"{history.final('relative_error'):.3g}",
            "not reached" if reached is None else f"{reached:.3g}",
            str(history.iterations_to("relative_error", tol) or "-"), str(history.iterations[-1]),
            f"{history.seconds_per_iteration():.3g}", "n/a" if reached is None else f"{reached / exact_seconds:.3g}"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(DEFAULT_DATA))
    parser.add_argument("--limit", type=int, default=10000)
    parser.add_argument("--resolution", type=int, default=8)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.3)
    parser.add_argument("--critic-steps", type=int, default=3)
    parser.add_argument("--steps", type=int, default=100000)
    parser.add_argument("--max-seconds", type=float, default=30.0, help="training-time budget per method")
    parser.add_argument("--tol", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--plot", default="/tmp/baselines_vs_exact.png")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    images = load_images(args.data, args.resolution, n_images=args.limit, subset="first")
    X = flatten_centred(images)[0]
    start = time.perf_counter()
    second_moment(X)
    moment_seconds = time.perf_counter() - start
    print(f"data: {args.data}, {X.shape[0]} images at {args.resolution}x{args.resolution} (d = {X.shape[1]}); "
          f"S_X from the images: {moment_seconds:.3g} s (shared by every method, not counted below)")
    print(f"torch threads: {torch.get_num_threads()}, lr = {args.lr}, budget {args.max_seconds:g} s per method, "
          f"tolerance {args.tol:g} on ||S_G - S*||_F / ||S*||_F\n")

    header = ["method", "final rel. error", f"time to {args.tol:g} (s)", "iterations to tol", "iterations run",
              "s / iteration", "time ratio to closed form"]
    plotted = []
    settings = [("unregularised critic (rho = 0, beta = 0, S* = S_X)", 0.0, 0.0),
                (f"soft-threshold (rho = 1, k = {args.k}, beta = lambda_{args.k + 1})", beta_from_k(X, args.k), 1.0)]
    for title, beta, rho in settings:
        rows, exact_seconds = [], None
        for rule in rules(args.lr, beta, args.critic_steps):
            game = LinearQuadraticGame(X, beta=beta, rho=rho, seed=args.seed)
            exact_seconds = game.exact_seconds if exact_seconds is None else exact_seconds
            history = train(game, rule, args.steps, log_every=25, tol=args.tol, max_seconds=args.max_seconds,
                            progress=False)
            rows.append(row(rule.name, history, args.tol, exact_seconds))
            if rho > 0:
                plotted.append(history)
        if rho > 0:
            lam = np.linalg.eigvalsh(second_moment(flatten_centred(downsample(images, args.resolution // 2))[0]))
            k_first = int(min(args.k, np.count_nonzero(lam > 1e-12) - 1))
            model = ProgressiveGDA(images, resolutions=(args.resolution // 2, args.resolution), k=(k_first, args.k),
                                   seed=args.seed)
            stages = model.fit(args.steps, log_every=100, max_seconds=args.max_seconds, progress=False)
            for stage in stages:
                rows.append(row(stage.method + " (WGAN-GP, Adam)", stage, args.tol, exact_seconds))
            plotted.append(stages[-1])
            plot_exact = exact_seconds
        print(f"## {title}: beta = {beta:.4g}; closed form {exact_seconds:.3g} s\n")
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for values in rows:
            print("| " + " | ".join(values) + " |")
        print()
    plot_error_vs_time(plotted, args.plot, tol=args.tol, exact_seconds=plot_exact,
                       title=f"MNIST {args.resolution}x{args.resolution}, k = {args.k}: distance to the closed form")
    print(f"plot (soft-threshold setting) saved to {args.plot}")


if __name__ == "__main__":
    main()
