"""Re-measure the ReLU-critic rows of docs/pairings.md and probe how local their optimum is.

The instance is the one of ``examples/plot_strong_duality.py`` (20 points in 2-D, ``beta = 0.3``, generator input
``Z = [N(0, I_2), 1]``). For the free and the linear generator, ``solve(X, "relu", ...)`` (cutting planes) gives
the certificate row (primal, lower bound, gap, violation, status). Then the neighbourhood of the returned samples
is probed: ``--probes`` random points ``G' = G + r E`` (free generator; ``W' = W + r E`` for the linear one) with
``||G' - G||_F <= radius ||G||_F``, the exact critic gap of each, and the lowest regulariser among the feasible
ones (critic gap at most ``beta``, and at most ``beta (1 + tol)``, the solver's own feasibility rule). A feasible
point below the returned value shows that the result is local to the solver's tolerance, not a local optimum.

Run: ``python benchmarks/relu_pairing_figure.py`` (about a minute on two shared cores).
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from plot_strong_duality import BETA, data  # noqa: E402

from convexgan.duality import critic_gap, solve  # noqa: E402
from convexgan.duality.extra_pairings import RELU_TOL  # noqa: E402


def probe(X, Z, solution, radius, probes, seed):
    """Lowest regulariser among random feasible points within ``radius`` (relative) of the returned solution."""
    rng = np.random.default_rng(seed)
    base = solution.G if Z is None else solution.W
    best = {"strict": np.inf, "tolerance": np.inf}
    for _ in range(probes):
        E = rng.standard_normal(base.shape)
        E *= rng.uniform(0, radius) * np.linalg.norm(base) / np.linalg.norm(E)
        point = base + E
        G = point if Z is None else Z @ point
        value = float(np.sum(point**2) / point.shape[0]) if Z is None else float(np.sum(point**2))
        gap = critic_gap(X, G, "relu")
        if gap <= BETA:
            best["strict"] = min(best["strict"], value)
        if gap <= BETA * (1 + RELU_TOL):
            best["tolerance"] = min(best["tolerance"], value)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=3000, help="random points probed around each solution")
    parser.add_argument("--radius", type=float, default=0.03, help="probe radius relative to ||G|| (or ||W||)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    X, Z = data()
    print(f"ReLU critic, 20 points in 2-D, beta = {BETA}, tol = {RELU_TOL:g}")
    print("| generator | primal | lower bound | gap | violation | status | seconds | "
          f"lowest feasible probe within {args.radius:.0%} (gap <= beta) | (gap <= beta (1 + tol)) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for generator in ("free", "linear"):
        start = time.perf_counter()
        solution = solve(X, "relu", generator, Z=None if generator == "free" else Z, beta=BETA)
        seconds = time.perf_counter() - start
        c = solution.certificate
        best = probe(X, None if generator == "free" else Z, solution, args.radius, args.probes, args.seed)
        cells = [
            f"{value:.6g} ({value / solution.value - 1:+.1e})" if np.isfinite(value) else "none found"
            for value in (best["strict"], best["tolerance"])
        ]
        print(f"| {generator} | {c['primal']:.6g} | {c['dual']:.6g} | {c['gap']:.2g} | {c['violation']:.1e} | "
              f"{c['status']} | {seconds:.2f} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
