"""Convex programs, closed forms, optimal critics and certificates for WGANs with two-layer critics.

``solve(X, critic, generator, beta=... | k=...)`` returns a :class:`Solution` (generated samples, weights,
moments, optimal critic, :class:`Certificate`); ``critic_gap(X, G, critic)`` evaluates the constraint (C)
without a solver. New critics register in ``critics.CRITIC_GAPS`` and ``critics.ACTIVATIONS``, new pairings in
``programs.PROGRAMS``.

The names below are imported on first use (PEP 562), so that ``convexgan.duality.closed_form``, which the
torch trainer uses, does not import CVXPY. Type checkers see them as plain re-exports.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from convexgan.duality.certificate import EXACT as EXACT, INACCURATE as INACCURATE, Certificate as Certificate
    from convexgan.duality.closed_form import (
        InfeasibleError as InfeasibleError,
        beta_from_k as beta_from_k,
        k_from_beta as k_from_beta,
    )
    from convexgan.duality.critics import CRITIC_GAPS as CRITIC_GAPS, Critic as Critic, critic_gap as critic_gap
    from convexgan.duality.programs import PROGRAMS as PROGRAMS, solve as solve
    from convexgan.duality.solution import Solution as Solution
    from convexgan.duality.solvers import SolverError as SolverError

_HOMES = {
    "Certificate": "certificate",
    "EXACT": "certificate",
    "INACCURATE": "certificate",
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


def __getattr__(name: str) -> Any:
    """Import ``name`` from its module (``_HOMES``) on first use."""
    if name not in _HOMES:
        raise AttributeError(f"module 'convexgan.duality' has no attribute {name!r}")
    return getattr(importlib.import_module(f"convexgan.duality.{_HOMES[name]}"), name)


def __dir__() -> list[str]:
    """The public names, for ``dir()`` and tab completion."""
    return __all__
