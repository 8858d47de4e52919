"""Exact ReLU critic gap and the cutting-plane solve against n and d: where exact enumeration stops being practical.

Table 1: the exact critic gap (all chambers of [X; G], cone projections) against the sampled lower bound (distinct
patterns of 20,000 Gaussian directions; not run in d = 2, where the exact sweep is cheaper), for n = m real/fake samples in d dimensions. ``chambers`` is the exact
worst-case count 2 sum_{k<d} C(N-1, k) (attained: Gaussian samples are in general position); rows above
``--max-patterns`` are not enumerated. In d = 2 the exact gap is the closed-form angular sweep, O(N log N).

Table 2: the cutting-plane solve (free generator, m = n) with beta = 0.3 max_u E_X (x^T u)_+: iterations, neurons,
time, and the ratio of the value reached to the simple lower bound (1.00 certifies a global optimum).

Run: ``python benchmarks/relu_critic.py`` (about two minutes on two cores).
"""

import argparse
import time

import numpy as np

from convexgan.duality.arrangements import max_chamber_count
from convexgan.duality.relu import relu_critic_gap, solve_relu_critic

GAP_CASES = [(2, 50), (2, 500), (2, 5000), (2, 50000), (3, 10), (3, 25), (3, 50), (3, 100), (4, 10), (4, 20), (4, 40),
             (5, 10), (5, 20), (8, 10), (8, 50), (16, 50)]
SOLVE_CASES = [(2, 8), (2, 16), (2, 32), (3, 8), (3, 16), (3, 32), (4, 8), (4, 16), (5, 8)]


def samples(d, n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) + 0.3, 0.8 * rng.standard_normal((n, d))


def gap_table(max_patterns):
    print(f"{'d':>3} {'n=m':>5} {'chambers':>12} {'method':>9} {'exact s':>9} {'us/chamber':>10} "
          f"{'sampled s':>9} {'sampled/exact':>13}")
    for d, n in GAP_CASES:
        X, G = samples(d, n, seed=d * 1000 + n)
        chambers = max_chamber_count(2 * n, d)
        sampled_s, ratio = "-", "-"
        if d > 2:
            start = time.perf_counter()
            sampled = relu_critic_gap(X, G, method="sampled", n_samples=20000, seed=0)
            sampled_s = f"{time.perf_counter() - start:.3f}"
        if chambers > max_patterns:
            print(f"{d:>3} {n:>5} {chambers:>12.3g} {'skipped':>9} {'-':>9} {'-':>10} {sampled_s:>9} {'-':>13}")
            continue
        start = time.perf_counter()
        exact = relu_critic_gap(X, G, max_patterns=max_patterns)
        exact_s = time.perf_counter() - start
        if d > 2:
            ratio = f"{sampled.value / exact.value:.4f}"
        print(f"{d:>3} {n:>5} {chambers:>12d} {exact.method:>9} {exact_s:>9.3f} {1e6 * exact_s / chambers:>10.1f} "
              f"{sampled_s:>9} {ratio:>13}")


def solve_table():
    print(f"{'d':>3} {'n=m':>5} {'iterations':>10} {'neurons':>8} {'seconds':>8} {'value/bound':>11} "
          f"{'gap/beta':>9} {'exact gap':>9}")
    for d, n in SOLVE_CASES:
        X, _ = samples(d, n, seed=d * 100 + n)
        beta = 0.3 * relu_critic_gap(X, np.zeros((1, d))).value
        result = solve_relu_critic(X, beta, max_iter=100)
        ratio = result.value / result.lower_bound if result.lower_bound > 0 else float("inf")
        print(f"{d:>3} {n:>5} {result.iterations:>10d} {len(result.neurons):>8d} {result.seconds:>8.2f} "
              f"{ratio:>11.3f} {result.critic.value / beta:>9.4f} {str(result.critic.exact):>9}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-patterns", type=int, default=200_000, help="largest chamber count enumerated")
    args = parser.parse_args()
    print("Exact ReLU critic gap vs sampled lower bound")
    gap_table(args.max_patterns)
    print()
    print("Cutting-plane solve (free generator), local optimum")
    solve_table()


if __name__ == "__main__":
    main()
