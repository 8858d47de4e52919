r"""Pairings for :func:`convexgan.duality.programs.solve` beyond the exact convex programs, each labelled.

All have the registry signature ``fn(X, *, Z, beta, k, solver, m, **params) -> Solution`` and put what is and is
not certified in ``certificate["optimality"]``:

- ReLU critic, free or linear generator, method ``"cutting_plane"``: :func:`convexgan.duality.relu.solve_relu_critic`;
  ``optimality`` starts with ``"local to tolerance"``: feasible to ``beta (1 + tol)`` and no longer improved by
  more than ``tol`` (relative) by the cutting planes, which is *not* a certified local optimum (a feasible point
  a few 1e-4 lower can lie within a few percent of the returned samples: ``benchmarks/relu_pairing_figure.py``);
  ``dual`` is the simple lower bound :func:`convexgan.duality.relu.relu_lower_bound`; extra keys ``feasible``
  (critic gap at most ``beta (1 + tol)``), ``critic_gap_exact`` (all patterns enumerated) and ``tol``.
- Quadratic critic, free generator, method ``"extragradient"``: the bounded lifted game of
  :mod:`convexgan.duality.game`; ``optimality`` starts with ``"game"`` and states the duality gap reached; the
  dual is the game's dual value (a lower bound on the optimum, since the game's bounds do not change it); a
  :class:`convexgan.exceptions.ConvergenceWarning` with the measured violation when the gap did not reach
  ``GAME_TOL * tr S_X``.
- Two-layer generators ``"relu2"`` and ``"quadratic2"`` with every critic that the linear generator has, method
  ``"two_step"`` (:ref:`theory-two-layer`): the linear generator's solution gives ``G* = Z W*``, then
  :mod:`convexgan.duality.two_layer` fits, with ``f(Z) = G*``, the least-weight-decay network among those whose
  hidden neurons each feed one output column (per-output neurons: ``d`` scalar-output networks side by side); a
  network with shared neurons (such as :class:`convexgan.duality.two_layer.TwoLayerGenerator` fitted otherwise)
  can have lower weight decay, so the value is not optimal over all two-layer generators; ``value`` is its
  weight decay, ``dual`` is None, ``Solution.network`` is the fitted
  :class:`convexgan.duality.two_layer.TwoLayerGenerator`, and the certificate's extra keys ``architecture``,
  ``fit_residual``, ``patterns_exact`` and ``samples_certificate`` (the certificate of ``G*``) describe it.
"""

import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from convexgan.duality import closed_form as cf
from convexgan.duality.critics import Critic
from convexgan.duality.game import solve_game
from convexgan.duality.generators import recover_samples
from convexgan.duality.relu import solve_relu_critic
from convexgan.duality.solution import Solution, make_solution
from convexgan.duality.two_layer import fit_quadratic_generator, fit_relu_generator
from convexgan.exceptions import ConvergenceWarning

RELU_TOL = 1e-3
GAME_TOL = 1e-8


def relu_cutting_plane(X: NDArray[np.float64], *, Z: NDArray[np.float64] | None, beta: float, k: int | None, solver: str | None, m: int | None,
                       max_patterns: int, n_samples: int | None, seed: int | np.random.Generator | None) -> Solution:
    r"""ReLU critic by fixed-pattern restrictions and cutting planes (local to tolerance, feasibility certified).

    .. math::  \min_G R_g \ \text{s.t.}\ \max_{\|u\| \le 1} |E_X (x^T u)_+ - E_G (g^T u)_+| \le \beta,

    solved by :func:`convexgan.duality.relu.solve_relu_critic` (its docstring states the restriction).
    """
    result = solve_relu_critic(
        X, beta, Z=Z, m=m, tol=RELU_TOL, solver=solver or "CLARABEL", seed=seed, max_patterns=max_patterns,
        n_samples=n_samples,
    )
    run = {
        "solver": solver or "CLARABEL",
        "status": "feasible" if result.feasible else "infeasible",
        "iterations": result.iterations,
        "seconds": result.seconds,
    }
    solution = make_solution(
        X, result.G, W=result.W, value=result.value, critic=Critic("relu", result.neurons.T, result.weights),
        critic_name="relu", params={"max_patterns": max_patterns, "n_samples": n_samples, "seed": seed}, beta=beta,
        k=None, generator="free" if Z is None else "linear", method="cutting_plane", dual=result.lower_bound,
        run=run, optimality=f"local to tolerance {RELU_TOL:g}: feasible to beta (1 + tol) and not improved by more "
        f"than tol by the cutting planes; not a certified local optimum",
    )
    solution.certificate.update(feasible=result.feasible, critic_gap_exact=result.critic.exact, tol=RELU_TOL)
    return solution


def quadratic_game(X: NDArray[np.float64], *, Z: None, beta: float, k: int | None, solver: str | None, m: int | None) -> Solution:
    r"""Quadratic critic, free generator, by extragradient on the bounded lifted game (duality gap certified).

    .. math::  \min_{S \succeq 0,\ \operatorname{tr} S \le \tau} \ \max_{\|A\|_2 \le \rho}
               \operatorname{tr} S + \langle A, S_X - S \rangle - \beta \|A\|_*,

    solved by :func:`convexgan.duality.game.solve_game`; the saddle point is :math:`((S_X - \beta I)_+, V_k V_k^T)`.
    """
    result = solve_game(X, beta, tol=GAME_TOL)
    alpha, vectors = cf.eigh_descending(result.A)
    keep = np.abs(alpha) > 1e-9 * max(1.0, float(np.abs(alpha).max()))
    G = recover_samples(result.S, np.zeros(X.shape[1]), X.shape[0] if m is None else m)
    S_X = cf.second_moment(X)
    dual = float(np.sum(result.A * S_X) - beta * np.abs(alpha).sum() - result.tau * max(alpha[0] - 1.0, 0.0))
    run = {
        "solver": "extragradient",
        "status": "optimal" if result.converged else "max_iter",
        "iterations": result.iterations,
        "seconds": result.seconds,
    }
    solution = make_solution(
        X, G, W=None, value=float(np.trace(G.T @ G) / G.shape[0]), critic=Critic("quadratic", vectors[:, keep],
        alpha[keep]), critic_name="quadratic", params={}, beta=beta, k=cf.k_from_beta(X, beta), generator="free",
        method="extragradient", dual=dual, run=run,
        optimality=f"game: saddle point of the bounded game (tau={result.tau:.6g}, rho={result.rho:g}) to duality "
        f"gap {result.gap:.2e}",
    )
    if not result.converged:
        warnings.warn(
            f"the extragradient game stopped after {result.iterations} iterations with duality gap {result.gap:.3e} "
            f"(> {GAME_TOL:g} tr S_X); measured violation of (C): critic_gap - beta = "
            f"{solution.certificate['violation']:.3e} (beta={beta:.6g}); use method='closed_form'",
            ConvergenceWarning,
            stacklevel=3,
        )
    return solution


def _pick_first(entry: dict[str, Callable[..., Solution]]) -> Callable[..., Solution]:
    """The closed form of a registry entry if it has one, else its CVXPY program, else its first method."""
    return entry[next(name for name in ("closed_form", "cvxpy", *entry) if name in entry)]


def two_step(architecture: str, first_step: Callable[..., Solution], critic: str) -> Callable[..., Solution]:
    r"""Registry function for a two-layer generator: ``G*`` from ``first_step`` (a linear-generator entry), then
    the least-weight-decay ``architecture`` (``"relu"`` or ``"quadratic"``) network mapping ``Z`` to ``G*``."""

    def fn(X: NDArray[np.float64], *, Z: NDArray[np.float64], beta: float, k: int | None, solver: str | None, m: int | None,
           **params: Any) -> Solution:
        start = time.perf_counter()
        samples = first_step(X, Z=Z, beta=beta, k=k, solver=solver, m=m, **params)
        if architecture == "relu":
            fit = fit_relu_generator(Z, samples.G, solver=solver or "CLARABEL")
        else:
            fit = fit_quadratic_generator(Z, samples.G, solver=solver or "SCS")
        run = {
            "solver": f"{samples.certificate['solver']} + {fit.solver}",
            "status": fit.status,
            "iterations": samples.certificate["iterations"],
            "seconds": time.perf_counter() - start,
        }
        solution = make_solution(
            X, fit.generator(Z), W=None, value=fit.value, critic=samples.critic, critic_name=critic, params=params,
            beta=beta, k=samples.k, generator=f"{architecture}2", method="two_step", dual=None, run=run,
            network=fit.generator,
            optimality=f"two-step: G* = Z W* of the linear generator ({samples.certificate['optimality']}), then the "
            f"{fit.generator.architecture} network with per-output neurons (each hidden neuron feeds one output "
            f"column) of least weight decay with f(Z) = G* (exact convex program"
            f"{'' if fit.exact_patterns else ' over sampled patterns'}); networks with shared neurons can reach "
            f"lower weight decay: not optimal over all two-layer generators",
        )
        solution.certificate.update(
            architecture=fit.generator.architecture, fit_residual=fit.residual,
            patterns_exact=fit.exact_patterns, samples_certificate=samples.certificate,
        )
        return solution

    return fn


def two_layer_pairings(
    programs: dict[tuple[str, str], dict[str, Callable[..., Solution]]],
) -> dict[tuple[str, str], dict[str, Callable[..., Solution]]]:
    """Registry entries ``(relu2 | quadratic2, critic) -> {"two_step": fn}`` for every critic paired with the
    linear generator in ``programs``."""
    return {
        (f"{architecture}2", critic): {"two_step": two_step(architecture, _pick_first(entry), critic)}
        for (generator, critic), entry in programs.items()
        if generator == "linear"
        for architecture in ("relu", "quadratic")
    }
