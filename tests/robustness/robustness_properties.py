r"""Random problems for the property tests of :func:`convexgan.duality.solve`: valid ones and corrupted ones.

A valid problem is samples ``X`` (n, d) with ``n > d`` (the default ``m = n`` then fits every optimum; see the
catalogue for ``n <= d``), a critic (linear or quadratic; polynomial for the solver), a generator (free, or
linear with a full column rank ``Z = [N(0, I), 1]`` of rank above ``d``, so every beta is feasible) and
``beta > 0`` drawn relative to the data's scale. :func:`certificate_errors` checks a solution against oracles
computed here with numpy:

- (C) holds: ``critic_gap(X, G) <= beta`` (up to rounding), and the certificate's ``violation`` equals it;
- strong duality: ``primal - dual ~ 0`` relative to the objective's scale (tr S_X, over ||mu_Z||^2 for the linear
  generator; the polynomial critic with a linear generator has no dual bound);
- the value equals the closed form (linear and quadratic critics): :math:`\sum_i (\lambda_i - \beta)_+`
  (free, quadratic), :math:`\sum_{i \le k} (\lambda_i - \beta) / s_i^2` (linear, quadratic),
  :math:`\|\mu_X\|^2 (1 - \beta / \|\mu_X\|)_+^2 / c` with :math:`c = 1` or :math:`\|\mu_Z\|^2` (linear critic);
- for the linear generator, ``G = Z W``.

A solve may end labelled ``"inaccurate: ..."`` (solver status ``optimal_inaccurate``, or a measured violation or
certified gap beyond the tolerances); the documented outcome is then an ``InaccurateSolutionWarning`` quoting the
measured violation, which :func:`solver_verdict` checks.

A corrupted problem is a valid one with one argument made invalid; :func:`invalid_verdict` says whether
``solve`` rejected it with a ``ValueError``/``TypeError`` raised by convexgan whose message names the argument.
"""

import re
import warnings
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from robustness_outcomes import from_convexgan

from convexgan.duality import critic_gap, solve
from convexgan.exceptions import InaccurateSolutionWarning

SCALES = (1e-3, 1.0, 1e3)
REL = 1e-9


@dataclass(frozen=True)
class Problem:
    """Keyword arguments of one ``solve`` call, and the argument a corruption made invalid (or None)."""

    X: object
    critic: object
    generator: object
    beta: object = None
    k: object = None
    Z: object = None
    m: object = None
    method: str = "auto"
    bad: str = None

    def solve(self):
        kwargs = {"beta": self.beta, "k": self.k, "Z": self.Z, "m": self.m, "method": self.method}
        return solve(self.X, self.critic, self.generator, **kwargs)


def _descending_eigenvalues(A):
    return np.sort(np.linalg.eigvalsh(A.T @ A / A.shape[0]))[::-1]


def _reference(X, critic):
    """The data's size in the units of ``critic``'s gap: ``||mu_X||``, ``lambda_max(S_X)`` or the default mix."""
    mean, top = np.linalg.norm(X.mean(axis=0)), _descending_eigenvalues(X)[0]
    return {"linear": mean, "quadratic": top, "polynomial": 0.09 * top + 0.5 * mean}[critic]


@st.composite
def valid_problems(draw, methods=("closed_form",), max_d=4, critics=("linear", "quadratic")):
    """A valid closed-form (or CVXPY) problem; see the module docstring."""
    d = draw(st.integers(1, max_d))
    n = draw(st.integers(d + 1, 10))
    scale = draw(st.sampled_from(SCALES))
    X = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-10, 10, allow_nan=False, allow_infinity=False)))
    X = X * scale
    critic = draw(st.sampled_from(critics))
    generator = draw(st.sampled_from(["free", "linear"]))
    reference = _reference(X, critic)
    unit = scale if critic == "linear" else scale**2
    beta = float(draw(st.floats(0.01, 1.5)) * reference + draw(st.floats(1e-3, 1.0)) * unit)
    Z = None
    if generator == "linear":
        d_z = d + draw(st.integers(0, 2))
        rows = d_z + 1 + draw(st.integers(0, 5))
        rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
        Z = np.hstack([rng.standard_normal((rows, d_z)), np.ones((rows, 1))])
    return Problem(X, critic, generator, beta=beta, Z=Z, method=draw(st.sampled_from(methods)))


def oracle_value(problem):
    """The optimal value by the closed forms, computed with numpy from the problem's data."""
    X, beta = problem.X, problem.beta
    if problem.critic == "linear":
        mu = np.linalg.norm(X.mean(axis=0))
        value = (mu * max(1.0 - beta / mu, 0.0)) ** 2 if mu > 0 else 0.0
        return value if problem.Z is None else value / float(np.sum(problem.Z.mean(axis=0) ** 2))
    lam = _descending_eigenvalues(X)
    if problem.Z is None:
        return float(np.sum(np.maximum(lam - beta, 0.0)))
    kept = lam[lam > beta]
    return float(np.sum((kept - beta) / _descending_eigenvalues(problem.Z)[: kept.size]))


def _objective_scale(problem):
    """The objective's size at this data scale: tr S_X, divided by ||mu_Z||^2 for the linear generator."""
    trace = float(np.sum(problem.X**2)) / problem.X.shape[0]
    return trace if problem.Z is None else trace / float(np.sum(problem.Z.mean(axis=0) ** 2))


def certificate_errors(problem, solution, rel=REL):
    """The list of certificate checks the solution fails (empty when it satisfies them all)."""
    X, beta = problem.X, problem.beta
    errors = []
    gap = critic_gap(X, solution.G, problem.critic)
    size = max(beta, _reference(X, problem.critic))
    if gap > beta + rel * size:
        errors.append(f"(C) fails: critic_gap = {gap!r} > beta = {beta!r}")
    violation = solution.certificate["violation"]
    if abs(violation - (gap - beta)) > rel * size:
        errors.append(f"certificate violation {violation!r} != critic_gap - beta = {gap - beta!r}")
    primal, dual = solution.certificate["primal"], solution.certificate["dual"]
    if dual is None:
        if (problem.critic, problem.generator) != ("polynomial", "linear"):
            errors.append("no dual bound in the certificate")
    elif abs(primal - dual) > rel * max(1.0, abs(primal), _objective_scale(problem)) * 100:
        errors.append(f"duality gap: primal {primal!r}, dual {dual!r}")
    if problem.critic != "polynomial":
        value = oracle_value(problem)
        if abs(solution.value - value) > rel * max(1.0, abs(value)) * 100:
            errors.append(f"value {solution.value!r} != closed form {value!r}")
    if problem.Z is not None and not np.allclose(solution.G, problem.Z @ solution.W, rtol=1e-12, atol=0):
        errors.append("G != Z W")
    return errors


def solver_verdict(problem, rel=1e-6):
    """``(verdict, detail)`` of solving a valid problem with a solver.

    ``'certificate holds'`` when :func:`certificate_errors` finds nothing; ``'inaccurate, warned'`` when the
    result is labelled ``"inaccurate: ..."`` (solver status, measured violation or certified gap beyond the
    tolerances) and ``solve`` said so with an ``InaccurateSolutionWarning`` quoting the violation of (C) measured
    independently here (the documented outcome); ``'certificate fails'`` otherwise.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        solution = problem.solve()
    warned = [str(w.message) for w in caught if issubclass(w.category, InaccurateSolutionWarning)]
    if solution.certificate["optimality"].startswith("inaccurate"):
        measured = critic_gap(problem.X, solution.G, problem.critic) - problem.beta
        if any(f"critic_gap - beta = {measured:.3e}" in m for m in warned):
            return "inaccurate, warned", warned[0]
        return "certificate fails", f"optimal_inaccurate without a warning quoting {measured:.3e}: {warned}"
    errors = certificate_errors(problem, solution, rel=rel)
    return ("certificate holds", "") if not errors else ("certificate fails", "; ".join(errors))


def _nan_at(draw, A):
    bad = A.astype(np.float64).copy()
    index = tuple(draw(st.integers(0, s - 1)) for s in A.shape)
    bad[index] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return bad


@st.composite
def invalid_problems(draw):
    """A valid closed-form problem with one argument corrupted; ``problem.bad`` names that argument."""
    p = draw(valid_problems())
    kind = draw(st.sampled_from(["X", "beta", "k", "critic", "generator", "Z" if p.Z is not None else "m"]))
    if kind == "X":
        X = draw(st.sampled_from([
            _nan_at(draw, p.X), p.X.reshape(-1), p.X[None], p.X[:0], p.X.astype(str), p.X + 1j,
            p.X.astype(object), p.X.tolist() + [[1.0] * (p.X.shape[1] + 1)],
        ]))
        return replace(p, X=X, bad="X")
    if kind == "beta":
        beta = draw(st.one_of(st.floats(max_value=0.0), st.sampled_from([np.nan, np.inf]), st.text(max_size=3),
                              st.booleans()))
        return replace(p, beta=beta, bad="beta")
    if kind == "k":
        k = draw(st.one_of(st.integers(-5, 0), st.integers(p.X.shape[1], p.X.shape[1] + 20),
                           st.floats(0.5, 3.5).filter(lambda v: v != int(v))))
        return replace(p, beta=None, k=k, critic="quadratic", bad="k")
    if kind == "critic":
        return replace(p, critic=draw(st.text(max_size=8).filter(lambda s: s not in ("linear", "quadratic",
                                                                                      "polynomial", "relu"))),
                       bad="critic")
    if kind == "generator":
        name = draw(st.text(max_size=8).filter(lambda s: s not in ("free", "linear", "relu2", "quadratic2")))
        return replace(p, generator=name, bad="generator")
    if kind == "Z":
        Z = draw(st.sampled_from([_nan_at(draw, p.Z), p.Z.reshape(-1), None, p.Z.astype(str)]))
        return replace(p, Z=Z, bad="Z")
    return replace(p, m=draw(st.integers(-10, 0)), bad="m")


def invalid_verdict(problem):
    """``(verdict, detail)`` of solving a corrupted problem: ``'documented error'`` or what went wrong."""
    try:
        problem.solve()
    except (ValueError, TypeError) as err:
        if not from_convexgan(err):
            return "obscure error", f"{type(err).__name__} raised inside a dependency: {err}"
        if not re.search(rf"(?<![A-Za-z_]){re.escape(problem.bad)}(?![A-Za-z_])", str(err)):
            return "unclear message", f"message does not name {problem.bad}: {err}"
        return "documented error", f"{type(err).__name__}: {err}"
    except Exception as err:  # any other type is the finding this reports
        return "obscure error", f"{type(err).__module__}.{type(err).__name__}: {err}"
    return "no error", f"solve accepted the invalid {problem.bad}"
