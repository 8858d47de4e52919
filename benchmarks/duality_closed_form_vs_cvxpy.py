r"""Closed form against the CVXPY SDP on the same instances: agreement and time ratio.

Problem: free generator, quadratic critic,
:math:`\min \operatorname{tr} S_G \text{ s.t. } \|S_X - S_G\|_2 \le \beta` (two d x d LMIs), whose closed form is
:math:`S_G = (S_X - \beta I)_+`. Both sides run the full ``convexgan.duality.solve`` (solve, recover ``n``
samples, certify). Data: ``n = 4 d`` Gaussian samples with a random mixing matrix (seeded), ``beta`` halfway
between the eigenvalues ``d/2`` and ``d/2 + 1`` of ``S_X``.

Columns: ``solver s`` (median wall time of ``solve(method="cvxpy")``), ``closed s`` (median of
``solve(method="closed_form")``), ``ratio`` (solver / closed form), ``rel S_G`` (``||S_G - S_G*||_F / ||S_G*||_F``),
``rel value``, the solver's ``gap`` and measured ``violation`` of (C).

BLAS is limited to ``--threads`` threads (default 1) on both sides, so the shared machine's load does not
swamp the closed form's milliseconds. Run: ``python benchmarks/duality_closed_form_vs_cvxpy.py`` (add
``--clarabel-max-d 100`` to run CLARABEL beyond d = 50; it needed minutes and gigabytes at d = 100).
"""

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from convexgan.duality import solve
from convexgan.duality.closed_form import eigh_descending


def instance(d, seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((4 * d, d)) @ rng.standard_normal((d, d)) / np.sqrt(d)
    lam = eigh_descending(X.T @ X / X.shape[0])[0]
    return X, float((lam[d // 2 - 1] + lam[d // 2]) / 2)


def timed(repeats, fn):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dims", type=int, nargs="+", default=[10, 25, 50, 100])
    parser.add_argument("--closed-only-dims", type=int, nargs="+", default=[200, 500, 1000])
    parser.add_argument("--solvers", nargs="+", default=["SCS", "CLARABEL"])
    parser.add_argument("--clarabel-max-d", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=5, help="repeats of the closed form (median)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both sides (default 1)")
    args = parser.parse_args(argv)
    with threadpool_limits(args.threads):
        rows = measure(args)
    print(f"BLAS threads: {args.threads}; closed form: median of {args.repeats}; solver: one run")
    table(rows)


def measure(args):
    rows = []
    jobs = [(d, s) for d in args.dims for s in args.solvers if s != "CLARABEL" or d <= args.clarabel_max_d]
    for d, solver in tqdm(jobs, desc="closed form vs CVXPY"):
        X, beta = instance(d, args.seed)
        closed_s, exact = timed(args.repeats, lambda: solve(X, "quadratic", beta=beta, method="closed_form"))
        solver_s, program = timed(1, lambda: solve(X, "quadratic", beta=beta, method="cvxpy", solver=solver))
        S_star = exact.second_moment
        rows.append((
            d, solver, solver_s, closed_s, solver_s / closed_s,
            np.linalg.norm(program.second_moment - S_star) / np.linalg.norm(S_star),
            abs(program.value - exact.value) / abs(exact.value),
            program.certificate["gap"], program.certificate["violation"],
        ))
    for d in tqdm(args.closed_only_dims, desc="closed form alone"):
        X, beta = instance(d, args.seed)
        closed_s, exact = timed(args.repeats, lambda: solve(X, "quadratic", beta=beta, method="closed_form"))
        rows.append((d, "-", float("nan"), closed_s, float("nan"), float("nan"), float("nan"),
                     exact.certificate["gap"], exact.certificate["violation"]))
    return rows


def table(rows):
    header = "| d | solver | solver s | closed s | ratio | rel S_G | rel value | gap | violation |"
    print(header)
    print("|---" * (header.count("|") - 1) + "|")
    for d, solver, solver_s, closed_s, ratio, rel_S, rel_v, gap, violation in rows:
        print(f"| {d} | {solver} | {solver_s:.3g} | {closed_s:.3g} | {ratio:.3g} | {rel_S:.2e} | {rel_v:.2e} | "
              f"{gap:.2e} | {violation:.2e} |")


if __name__ == "__main__":
    main()
