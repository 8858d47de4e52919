"""Convex programs, closed forms, optimal critics and certificates for WGANs with two-layer critics.

``solve(X, critic, generator, beta=... | k=...)`` returns a :class:`Solution` (generated samples, weights,
moments, optimal critic, certificate); ``critic_gap(X, G, critic)`` evaluates the constraint (C) without a
solver. New critics register in ``critics.CRITIC_GAPS`` and ``critics.ACTIVATIONS``, new pairings in
``programs.PROGRAMS``.
"""

from convexgan.duality.closed_form import InfeasibleError, beta_from_k, k_from_beta
from convexgan.duality.critics import CRITIC_GAPS, Critic, critic_gap
from convexgan.duality.programs import PROGRAMS, solve
from convexgan.duality.solution import Solution
from convexgan.duality.solvers import SolverError

__all__ = [
    "CRITIC_GAPS",
    "PROGRAMS",
    "Critic",
    "InfeasibleError",
    "Solution",
    "SolverError",
    "beta_from_k",
    "critic_gap",
    "k_from_beta",
    "solve",
]
