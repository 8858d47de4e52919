r"""The optimal critic of each activation in 2-D
=============================================

A two-layer critic :math:`D(x) = \sum_j v_j \sigma(u_j^T x)` with :math:`\|u_j\|_2 \le 1` and weight decay
:math:`\beta \sum_j |v_j|` turns the WGAN into a constraint on the generated points (docs/theory.md section 1):

.. math::  \min_G \operatorname{tr} S_G \quad \text{s.t.} \quad
           \max_{\|u\|_2 \le 1} \big| E_X \sigma(x^T u) - E_G \sigma(g^T u) \big| \le \beta .   \tag{C}

For each activation (linear :math:`t`, quadratic :math:`t^2`, polynomial :math:`a t^2 + b t + c`, ReLU
:math:`(t)_+`) this script solves the problem with the free generator on the same 2-D points, draws the
optimal critic's level sets over the real (dots) and generated (crosses) points, and prints and checks

- the constraint value :math:`\text{gap}/\beta` (the left side of (C) recomputed from the points, without the
  solver): 1 at the exact optima (the constraint is active), at most :math:`1 + 10^{-3}` for the ReLU critic,
  whose solve is a cutting-plane scheme (locally optimal, feasibility certified);
- complementary slackness of the exact optima: :math:`E_X D^* - E_G D^* = \beta \sum_j |v_j|`.

Run: ``python examples/plot_critic_level_sets.py [--out DIR] [--fast]``.
"""

import argparse
from pathlib import Path

import numpy as np

from convexgan.duality import critic_gap, solve
from convexgan.plotting import draw_critic_level_sets

CRITICS = ("linear", "quadratic", "polynomial", "relu")
RELU_TOL = 1e-3


def data(seed=0, n=20):
    """``n`` anisotropic Gaussian points in 2-D with mean (1, 0.5)."""
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 2)) @ np.diag([1.2, 0.8]) + np.array([1.0, 0.5])


def betas(X):
    """A beta per critic at which the constraint is active (G = 0 is infeasible)."""
    lam = np.linalg.eigvalsh(X.T @ X / X.shape[0])
    return {
        "linear": 0.5 * float(np.linalg.norm(X.mean(axis=0))),
        "quadratic": 0.5 * float(lam[0] + lam[1]),
        "polynomial": 0.1,
        "relu": 0.3,
    }


def main(argv=None):
    """Solve, draw and check; return ``{critic: {"constraint_value", "slackness", "beta", "optimality"}}``."""
    parser = argparse.ArgumentParser(description="The optimal critic of each activation in 2-D")
    parser.add_argument("--out", type=Path, default=Path("convexgan_examples"), help="output folder")
    parser.add_argument("--fast", action="store_true", help="coarser contour grid (for tests)")
    args = parser.parse_args(argv)
    from matplotlib.figure import Figure

    X = data()
    beta_of = betas(X)
    figure = Figure(figsize=(10, 8.5), layout="constrained")
    axes = figure.subplots(2, 2).ravel()
    results = {}
    print(f"{'critic':>10} {'beta':>8} {'gap/beta':>12} {'E_X D - E_G D':>14} {'beta sum|v|':>12}  optimality")
    for ax, critic in zip(axes, CRITICS):
        beta = beta_of[critic]
        s = solve(X, critic, "free", beta=beta)
        value = critic_gap(X, s.G, critic) / beta
        difference = float(s.critic(X).mean() - s.critic(s.G).mean())
        slackness = difference - beta * s.critic.penalty
        results[critic] = {"beta": beta, "constraint_value": value, "slackness": slackness,
                           "optimality": s.certificate["optimality"]}
        print(f"{critic:>10} {beta:8.4f} {value:12.8f} {difference:14.8f} {beta * s.critic.penalty:12.8f}  "
              f"{s.certificate['optimality']}")
        filled = draw_critic_level_sets(ax, s.critic, X, s.G, n_grid=60 if args.fast else 200)
        figure.colorbar(filled, ax=ax, shrink=0.7)
        ax.set_title(f"{critic}: gap/beta = {value:.4f}\n({s.certificate['optimality']})", fontsize=9)
    axes[0].legend(loc="lower right", fontsize=8)
    for critic in ("linear", "quadratic", "polynomial"):
        assert abs(results[critic]["constraint_value"] - 1) < 1e-6, (critic, results[critic])
        assert abs(results[critic]["slackness"]) < 1e-6 * (1 + beta_of[critic]), (critic, results[critic])
    assert results["relu"]["constraint_value"] <= 1 + RELU_TOL, results["relu"]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "critic_level_sets.png"
    figure.savefig(path, dpi=100)
    print(f"checked: (C) active at the exact optima, complementary slackness, ReLU feasible; wrote {path}")
    return results


if __name__ == "__main__":
    main()
