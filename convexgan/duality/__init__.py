"""Convex programs, closed forms, optimal critics and certificates for WGANs with two-layer critics.

``solve(X, critic, generator, beta=... | k=...)`` returns a :class:`Solution` (generated samples, weights,
moments, optimal critic, certificate); ``critic_gap(X, G, critic)`` evaluates the constraint (C) without a
solver. New critics register in ``critics.CRITIC_GAPS`` and ``critics.ACTIVATIONS``, new pairings in
``programs.PROGRAMS``.

The names below are imported on first use (PEP 562), so that ``convexgan.duality.closed_form``, which the
torch trainer uses, does not import CVXPY.
"""

import importlib

_HOMES = {
    "InfeasibleError": "closed_form",
    "beta_from_k": "closed_form",
    "k_from_beta": "closed_form",
    "CRITIC_GAPS": "critics",
    "Critic": "critics",
    "critic_gap": "critics",
    "PROGRAMS": "programs",
    "solve": "programs",
    "Solution": "solution",
    "SolverError": "solvers",
}

__all__ = sorted(_HOMES)


def __getattr__(name):
    if name not in _HOMES:
        raise AttributeError(f"module 'convexgan.duality' has no attribute {name!r}")
    return getattr(importlib.import_module(f"convexgan.duality.{_HOMES[name]}"), name)


def __dir__():
    return __all__
