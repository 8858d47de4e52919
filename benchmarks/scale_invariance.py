"""Every solver path at data scales 1e-6 ... 1e6: relative error against the closed form or the scale-1 problem.

The instance is the audit's of issue 12: ``X = s (N (40 x 8) A / 3 + b)`` (seed 0), free and linear generators
(``Z = [N(0, I_8), 1]``, 30 rows), ``beta`` half the data mean's norm (linear critic), the 4th eigenvalue of ``S_X``
(quadratic) or 0.1 times the critic gap of ``G = 0`` (polynomial, with ``a, b`` rescaled so that the constraint is
the scale-1 constraint). For each pairing, method and scale the table gives ``value / s^2`` relative to the
reference (closed form where there is one, else the same program at scale 1) and the certificate's label
(``moments``: "moments optimal for tr(S_G)"); the last line the largest measured violation over its tolerance.

Run: ``python benchmarks/scale_invariance.py`` (about 20 s on two shared cores).
"""

import warnings

import numpy as np

from convexgan.duality import critic_gap, solve

SCALES = (1e-6, 1e-4, 1e-2, 1.0, 1e2, 1e4, 1e6)
PAIRINGS = [
    ("free", "linear", "cvxpy"), ("free", "quadratic", "cvxpy"), ("free", "polynomial", "cvxpy"),
    ("linear", "linear", "cvxpy"), ("linear", "quadratic", "cvxpy"), ("linear", "polynomial", "cvxpy"),
]
POWER = {"linear": 1, "quadratic": 2, "polynomial": 0}


def instance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 8)) @ rng.standard_normal((8, 8)) / 3 + rng.standard_normal(8)
    Z = np.hstack([rng.standard_normal((30, 8)), np.ones((30, 1))])
    beta = {
        "linear": 0.5 * float(np.linalg.norm(X.mean(0))),
        "quadratic": float(np.sort(np.linalg.eigvalsh(X.T @ X / 40))[-4]),
        "polynomial": 0.1 * critic_gap(X, np.zeros((1, 8)), "polynomial"),
    }
    return X, Z, beta


def params(critic, scale):
    return {"a": 0.09 / scale**2, "b": 0.5 / scale} if critic == "polynomial" else {}


def main():
    X, Z, beta = instance()
    print("| generator | critic | method | " + " | ".join(f"s = {s:g}" for s in SCALES) + " |")
    print("|---|---|---|" + "---|" * len(SCALES))
    worst, worst_violation = 0.0, -np.inf
    for generator, critic, method in PAIRINGS:
        z = None if generator == "free" else Z
        closed = "closed_form" if critic != "polynomial" else method
        reference = solve(X, critic, generator, Z=z, beta=beta[critic], method=closed, **params(critic, 1.0)).value
        cells = []
        for s in SCALES:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = solve(s * X, critic, generator, Z=z, beta=beta[critic] * s ** POWER[critic], method=method,
                               **params(critic, s))
            error = abs(result.value / s**2 / reference - 1)
            worst = max(worst, error)
            c = result.certificate
            label = c["optimality"].split(" ")[0].rstrip(":")
            worst_violation = max(worst_violation, c["violation"] / c["tolerance"]["violation"])
            cells.append(f"{error:.1e} {label}{' (warned)' if caught else ''}")
        print(f"| {generator} | {critic} | {method} | " + " | ".join(cells) + " |")
    print(f"\nlargest relative error of value / s^2 against the reference: {worst:.1e}; largest violation of (C) "
          f"over its tolerance (1e-6 max(beta, gap_0)): {worst_violation:.1e}")


if __name__ == "__main__":
    main()
