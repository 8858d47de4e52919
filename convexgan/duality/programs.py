r"""Pair a generator with a critic and solve the WGAN exactly: the entry point :func:`solve`.

.. math::  \min_G R_g(G) \quad \text{s.t.} \quad
           \max_{\|u\|_2 \le 1} \big| E_X \sigma(x^T u) - E_G \sigma(g^T u) \big| \le \beta     \tag{C}

with :math:`R_g = \|W\|_F^2` for the linear generator ``G = Z W`` and :math:`R_g = \operatorname{tr} S_G` for the
free generator (the samples are the variable).

Extension point
---------------
``PROGRAMS`` maps ``(generator, critic)`` to a dict ``{method: fn}``. ``solve`` validates the inputs, resolves
``beta`` from ``k`` and calls::

    fn(X, *, Z, beta, k, solver, m, **params) -> Solution

with ``X`` (n, d) float64 and finite, ``Z`` (m, d_z) float64 or None (None exactly for generators in
``GENERATORS_WITHOUT_Z``), ``beta`` > 0, ``k`` the caller's ``k`` or None, ``solver`` the caller's solver name
or None, ``m`` the caller's sample count or None (free generator), and ``params`` the critic's parameters with
their defaults (from :func:`convexgan.duality.critics.critic_parameters`). ``method="auto"`` runs
``"closed_form"`` when the entry has one and ``"cvxpy"`` otherwise. A new pairing is one new entry here.
"""

import warnings

import numpy as np

from convexgan._validation import as_samples, check_choice, check_int, check_positive
from convexgan.duality import extra_pairings, pairings
from convexgan.duality.closed_form import beta_from_k
from convexgan.duality.critics import CRITIC_GAPS, critic_parameters
from convexgan.duality.solvers import check_solver_name
from convexgan.exceptions import InaccurateSolutionWarning

PROGRAMS = {
    ("free", "linear"): {"closed_form": pairings.free_linear_closed_form, "cvxpy": pairings.free_linear_cvxpy},
    ("free", "quadratic"): {
        "closed_form": pairings.free_quadratic_closed_form,
        "cvxpy": pairings.free_quadratic_cvxpy,
        "extragradient": extra_pairings.quadratic_game,
    },
    ("free", "polynomial"): {"cvxpy": pairings.free_polynomial_cvxpy},
    ("linear", "linear"): {"closed_form": pairings.linear_linear_closed_form, "cvxpy": pairings.linear_linear_cvxpy},
    ("linear", "quadratic"): {
        "closed_form": pairings.linear_quadratic_closed_form,
        "cvxpy": pairings.linear_quadratic_cvxpy,
    },
    ("linear", "polynomial"): {"cvxpy": pairings.linear_polynomial_cvxpy},
    ("free", "relu"): {"cutting_plane": extra_pairings.relu_cutting_plane},
    ("linear", "relu"): {"cutting_plane": extra_pairings.relu_cutting_plane},
}
PROGRAMS.update(extra_pairings.two_layer_pairings(PROGRAMS))
GENERATORS_WITHOUT_Z = ("free",)
K_CRITICS = ("quadratic",)
AUTO_ORDER = ("closed_form", "cvxpy")


def _check_moment_range(A, name):
    """Raise ``ValueError`` when the second moment :math:`A^T A / n` of finite samples would overflow float64."""
    peak = float(np.max(np.abs(A)))
    if peak > np.sqrt(np.finfo(np.float64).max / A.shape[0]):
        raise ValueError(
            f"{name} has entries up to {peak:.3g}: its second moment {name}^T {name} / n overflows float64; "
            f"expected entries below {np.sqrt(np.finfo(np.float64).max / A.shape[0]):.3g} (rescale {name})"
        )
    return A


def _resolve_beta(X, critic, beta, k):
    if (beta is None) == (k is None):
        raise ValueError(f"pass exactly one of beta and k; got beta={beta!r}, k={k!r}")
    if beta is not None:
        return check_positive(beta, "beta")
    if critic not in K_CRITICS:
        raise ValueError(
            f"k={k!r} (kept components) is defined for critic in {K_CRITICS}, not critic={critic!r}; pass beta"
        )
    return beta_from_k(X, k)


def _pick_method(entry, method, generator, critic):
    if method == "auto":
        return next(name for name in (*AUTO_ORDER, *entry) if name in entry)
    if method not in entry:
        raise ValueError(
            f"method={method!r} is not available for generator={generator!r}, critic={critic!r}; "
            f"expected one of {', '.join(repr(name) for name in ('auto', *entry))}"
        )
    return method


def solve(X, critic, generator="free", *, Z=None, beta=None, k=None, method="auto", solver=None, m=None,
          **critic_params):
    r"""Solve the WGAN with a two-layer critic exactly (closed form or convex program) and certify it.

    Parameters
    ----------
    X : array-like (n, d)
        Real samples (any real dtype; computations and outputs are float64).
    critic : str
        ``"linear"``, ``"quadratic"`` or ``"polynomial"`` (or a critic another module registers).
    generator : str
        ``"free"`` (the generated samples are the variable) or ``"linear"`` (``G = Z W``).
    Z : array-like (m, d_z), optional
        Generator input, required by every generator except ``"free"``.
    beta : float > 0, optional
        Critic regularisation in mean units (docs/theory.md section 0).
    k : int, optional
        Number of kept components, quadratic critic only: ``beta = lambda_{k+1}(S_X)``. Exactly one of ``beta``
        and ``k``; a ``k`` at a tie :math:`\lambda_k = \lambda_{k+1}` is refused with the nearest attainable ``k``
        (:func:`convexgan.duality.closed_form.beta_from_k`).
    method : str
        ``"auto"`` (closed form where one exists, else CVXPY), ``"closed_form"`` or ``"cvxpy"``.
    solver : str, optional
        ``"SCS"``, ``"CLARABEL"`` or ``"MOSEK"``; None picks per problem class
        (see :mod:`convexgan.duality.solvers`).
    m : int, optional
        Number of samples the free generator returns (default ``n``, or ``n + 1`` when ``n <= d``; at least the
        rank of the optimal moments).
    **critic_params
        The critic's parameters: ``a, b, c`` for the polynomial (defaults 0.09, 0.5, 0.47).

    Returns
    -------
    Solution
        Generated samples, weights, moments, value, optimal critic and certificate, all float64.

    Raises
    ------
    ValueError, TypeError
        For invalid input; the message names the argument, the value and what was expected.
    InfeasibleError
        When the linear generator cannot meet (C); the message names the smallest feasible beta.
    SolverError
        When a solver fails. A solve whose label is ``"inaccurate: ..."`` (status ``optimal_inaccurate``, or a
        measured violation or certified gap beyond the tolerances of :mod:`convexgan.duality.certify`) gives an
        :class:`convexgan.exceptions.InaccurateSolutionWarning` with the numbers.
    """
    X = _check_moment_range(as_samples(X, "X"), "X")
    check_choice(critic, "critic", tuple(CRITIC_GAPS))
    generators = tuple(dict.fromkeys(g for g, _ in PROGRAMS))
    check_choice(generator, "generator", generators)
    if (generator, critic) not in PROGRAMS:
        raise ValueError(f"no program pairs generator={generator!r} with critic={critic!r}")
    params = critic_parameters(critic, critic_params)
    solver = check_solver_name(solver)
    if generator in GENERATORS_WITHOUT_Z:
        if Z is not None:
            raise ValueError(f"Z is not used by generator={generator!r}; pass Z=None (or generator='linear')")
        if m is not None:
            m = check_int(m, "m", 1, np.iinfo(np.int64).max)
    else:
        if Z is None:
            raise ValueError(f"generator={generator!r} needs Z, an (m, d_z) array of generator inputs; got None")
        if m is not None:
            raise ValueError(f"m={m!r} is set by the rows of Z for generator={generator!r}; pass m=None")
        Z = _check_moment_range(as_samples(Z, "Z"), "Z")
    beta = _resolve_beta(X, critic, beta, k)
    entry = PROGRAMS[(generator, critic)]
    chosen = _pick_method(entry, method, generator, critic)
    solution = entry[chosen](X, Z=Z, beta=beta, k=k, solver=solver, m=m, **params)
    if solution.certificate.inaccurate:
        warnings.warn(
            f"solver {solution.certificate['solver']} returned {solution.certificate['status']!r}; the result is "
            f"{solution.certificate['optimality']}; measured violation of (C): critic_gap - beta = "
            f"{solution.certificate['violation']:.3e} (beta={beta:.6g})",
            InaccurateSolutionWarning,
            stacklevel=2,
        )
    return solution
