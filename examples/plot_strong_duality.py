r"""Strong duality for every generator/critic pairing on one small data set
=======================================================================

Every pairing registered in :data:`convexgan.duality.PROGRAMS` is solved on the same 20 points in 2-D with the
same beta, and its certificate is tabulated (docs/theory.md section 4):

.. math::  p^* = \min_G R_g(G) \ \text{s.t. (C)}, \qquad d \le p^*, \qquad \text{gap} = p - d, \qquad
           \text{violation} = \max_{\|u\| \le 1} |E_X \sigma(x^T u) - E_G \sigma(g^T u)| - \beta .

What each row proves depends on how it was obtained:

- **exact** (closed forms and exact convex programs): the dual is a certified lower bound and the gap is 0 to
  solver tolerance (strong duality); the closed form and the CVXPY program agree;
- **game** (extragradient on the bounded lifted game of the quadratic critic): a saddle point to the stated
  duality gap;
- **local** (ReLU critic, cutting planes): feasible, and the dual is only a lower bound, so the gap is an
  upper bound on the suboptimality;
- **moments** (linear generator, polynomial critic): the lifted program's moments are optimal for
  :math:`\operatorname{tr} S_G` and met by the returned W, but :math:`\|W\|_F^2` is not certified minimal (no
  dual);
- **two-step** (two-layer ReLU or quadratic-activation generators): the exact linear-generator samples G*, then
  the least-weight-decay network with :math:`f(Z) = G^*` (its own convex program); no dual, the fit residual is
  shown.

Run: ``python examples/plot_strong_duality.py [--out DIR] [--fast]`` (``--fast``: one method per pairing).
"""

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

from convexgan.duality import PROGRAMS, solve

BETA = 0.3
TOL = 1e-6


def data(seed=0, n=20):
    """Real points ``X`` (n, 2) and a generator input ``Z`` (n, 3) = [N(0, I_2), 1]."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 2)) @ np.diag([2.0, 0.7]) + np.array([1.0, 0.5])
    Z = np.hstack([rng.standard_normal((n, 2)), np.ones((n, 1))])
    return X, Z


def label(certificate):
    """exact / game / local / two-step, from the certificate's ``optimality``."""
    text = certificate["optimality"]
    for name in ("exact", "game", "local", "two-step", "moments"):
        if text.startswith(name):
            return name
    raise ValueError(f"unknown optimality label {text!r}")


def solve_all(X, Z, fast):
    """Solve every pairing (every method, or the first one with ``fast``); return a list of row dicts."""
    rows = []
    for (generator, critic), entry in PROGRAMS.items():
        for method in list(entry)[:1] if fast else entry:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                s = solve(X, critic, generator, Z=None if generator == "free" else Z, beta=BETA, method=method)
            c = s.certificate
            rows.append({
                "generator": generator, "critic": critic, "method": method, "label": label(c),
                "primal": c["primal"], "dual": c["dual"], "gap": c["gap"], "violation": c["violation"],
                "status": c["status"], "fit_residual": c.get("fit_residual"), "feasible": c.get("feasible"),
                "seconds": time.perf_counter() - start,
            })
    return rows


def check(rows):
    """Assert what each row certifies (see the module docstring)."""
    for r in rows:
        scale = 1 + abs(r["primal"])
        if r["label"] == "exact":
            assert r["violation"] <= TOL * (1 + BETA), r
            if r["dual"] is not None:
                assert abs(r["gap"]) <= TOL * scale, r
        elif r["label"] == "game":
            assert abs(r["gap"]) <= TOL * scale, r
        elif r["label"] == "moments":
            assert r["violation"] <= TOL * (1 + BETA), r
        elif r["label"] == "local":
            assert r["feasible"] and r["dual"] <= r["primal"] + TOL, r
        else:
            assert r["fit_residual"] <= 1e-3 and r["violation"] <= 1e-3 * BETA, r
    by_pairing = {}
    for r in rows:
        if r["label"] in ("exact", "game"):
            by_pairing.setdefault((r["generator"], r["critic"]), []).append(r["primal"])
    for pairing, values in by_pairing.items():
        assert max(values) - min(values) <= TOL * (1 + max(abs(v) for v in values)), (pairing, values)


def draw_table(path, rows):
    """Render the table as a PNG."""
    from matplotlib.figure import Figure

    def fmt(value, spec):
        return "-" if value is None else format(value, spec)

    cells = [[r["generator"], r["critic"], r["method"], r["label"], fmt(r["primal"], ".6g"), fmt(r["dual"], ".6g"),
              fmt(r["gap"], ".1e"), fmt(r["violation"], ".1e"), r["status"], fmt(r["seconds"], ".2f")] for r in rows]
    figure = Figure(figsize=(11, 0.32 * len(rows) + 0.9), layout="constrained")
    ax = figure.add_subplot()
    ax.axis("off")
    table = ax.table(cells, colLabels=["generator", "critic", "method", "kind", "primal", "dual", "gap",
                                        "violation", "status", "seconds"], loc="center", cellLoc="right")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    ax.set_title(f"Certificates of every pairing on 20 points in 2-D, beta = {BETA}", fontsize=10)
    figure.savefig(path, dpi=110)


def main(argv=None):
    """Solve, print, check and draw; return the rows."""
    parser = argparse.ArgumentParser(description="Strong duality for every generator/critic pairing")
    parser.add_argument("--out", type=Path, default=Path("convexgan_examples"), help="output folder")
    parser.add_argument("--fast", action="store_true", help="one method per pairing (for tests)")
    args = parser.parse_args(argv)
    X, Z = data()
    rows = solve_all(X, Z, args.fast)
    print(f"{'generator':>10} {'critic':>10} {'method':>13} {'kind':>8} {'primal':>12} {'dual':>12} {'gap':>9} "
          f"{'violation':>9} {'s':>5}  status")
    for r in rows:
        dual = "-" if r["dual"] is None else f"{r['dual']:.6g}"
        gap = "-" if r["gap"] is None else f"{r['gap']:.1e}"
        print(f"{r['generator']:>10} {r['critic']:>10} {r['method']:>13} {r['label']:>8} {r['primal']:12.6g} "
              f"{dual:>12} {gap:>9} {r['violation']:9.1e} {r['seconds']:5.2f}  {r['status']}")
    check(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "strong_duality.png"
    draw_table(path, rows)
    print(f"checked: exact rows have zero gap and no violation, methods agree, local rows are feasible with "
          f"dual <= primal, two-step fits reach f(Z) = G*; wrote {path}")
    return rows


if __name__ == "__main__":
    main()
