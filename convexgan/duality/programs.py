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
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convexgan._validation import as_samples, check_choice, check_int, check_positive
from convexgan.duality import extra_pairings, pairings
from convexgan.duality.closed_form import beta_from_k
from convexgan.duality.critics import CRITIC_GAPS, critic_parameters
from convexgan.duality.solution import Solution
from convexgan.duality.solvers import check_solver_name
from convexgan.exceptions import InaccurateSolutionWarning

Program = Callable[..., Solution]

PROGRAMS: dict[tuple[str, str], dict[str, Program]] = {
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


def _check_moment_range(A: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    """Raise ``ValueError`` when the second moment :math:`A^T A / n` of finite samples would overflow float64."""
    peak = float(np.max(np.abs(A)))
    if peak > np.sqrt(np.finfo(np.float64).max / A.shape[0]):
        raise ValueError(
            f"{name} has entries up to {peak:.3g}: its second moment {name}^T {name} / n overflows float64; "
            f"expected entries below {np.sqrt(np.finfo(np.float64).max / A.shape[0]):.3g} (rescale {name})"
        )
    return A


def _resolve_beta(X: NDArray[np.float64], critic: str, beta: float | None, k: int | None) -> float:
    """``beta``, or ``beta_from_k(X, k)`` for a critic in ``K_CRITICS``; exactly one of them must be given."""
    if beta is not None and k is None:
        return check_positive(beta, "beta")
    if beta is not None or k is None:
        raise ValueError(f"pass exactly one of beta and k; got beta={beta!r}, k={k!r}")
    if critic not in K_CRITICS:
        raise ValueError(
            f"k={k!r} (kept components) is defined for critic in {K_CRITICS}, not critic={critic!r}; pass beta"
        )
    return beta_from_k(X, k)


def _pick_method(entry: dict[str, Program], method: str, generator: str, critic: str) -> str:
    """``method``, or for ``"auto"`` the first of ``AUTO_ORDER`` (then of ``entry``) that ``entry`` has."""
    if method == "auto":
        return next(name for name in (*AUTO_ORDER, *entry) if name in entry)
    if method not in entry:
        raise ValueError(
            f"method={method!r} is not available for generator={generator!r}, critic={critic!r}; "
            f"expected one of {', '.join(repr(name) for name in ('auto', *entry))}"
        )
    return method


def _check_generator_input(generator: str, Z: ArrayLike | None, m: int | None) -> tuple[NDArray[np.float64] | None, int | None]:
    """Validate ``Z`` and ``m`` for ``generator``: ``Z`` only (and always) for generators outside
    ``GENERATORS_WITHOUT_Z``, ``m`` only for those in it; return ``(Z as float64 or None, m)``."""
    if generator in GENERATORS_WITHOUT_Z:
        if Z is not None:
            raise ValueError(f"Z is not used by generator={generator!r}; pass Z=None (or generator='linear')")
        return None, None if m is None else check_int(m, "m", 1, np.iinfo(np.int64).max)
    if Z is None:
        raise ValueError(f"generator={generator!r} needs Z, an (m, d_z) array of generator inputs; got None")
    if m is not None:
        raise ValueError(f"m={m!r} is set by the rows of Z for generator={generator!r}; pass m=None")
    return _check_moment_range(as_samples(Z, "Z"), "Z"), None


def _check_pairing(critic: str, generator: str) -> None:
    """Raise ``ValueError`` unless ``critic`` and ``generator`` are registered and some program pairs them."""
    check_choice(critic, "critic", tuple(CRITIC_GAPS))
    generators = tuple(dict.fromkeys(g for g, _ in PROGRAMS))
    check_choice(generator, "generator", generators)
    if (generator, critic) not in PROGRAMS:
        raise ValueError(f"no program pairs generator={generator!r} with critic={critic!r}")


def _warn_if_inaccurate(solution: Solution, beta: float) -> None:
    """Warn with :class:`InaccurateSolutionWarning` and the measured numbers when the label is inaccurate."""
    certificate = solution.certificate
    if certificate.inaccurate:
        warnings.warn(
            f"solver {certificate.solver} returned {certificate.status!r}; the result is "
            f"{certificate.optimality}; measured violation of (C): critic_gap - beta = "
            f"{certificate.violation:.3e} (beta={beta:.6g})",
            InaccurateSolutionWarning,
            stacklevel=3,
        )


def solve(X: ArrayLike, critic: str, generator: str = "free", *, Z: ArrayLike | None = None,
          beta: float | None = None, k: int | None = None, method: str = "auto", solver: str | None = None,
          m: int | None = None, **critic_params: float) -> Solution:
    r"""Solve the WGAN with a two-layer critic exactly (closed form or convex program) and certify it.

    Parameters
    ----------
    X : array-like (n, d)
        Real samples (any real dtype; computations and outputs are float64).
    critic : str
        ``"linear"``, ``"quadratic"``, ``"polynomial"`` or ``"relu"`` (or a critic another module registers).
    generator : str
        ``"free"`` (the generated samples are the variable), ``"linear"`` (``G = Z W``), or the two-layer
        ``"relu2"`` and ``"quadratic2"``.
    Z : array-like (m, d_z), optional
        Generator input, required by every generator except ``"free"``.
    beta : float > 0, optional
        Critic regularisation in mean units (:ref:`theory-notation`).
    k : int, optional
        Number of kept components, quadratic critic only: ``beta = lambda_{k+1}(S_X)``. Exactly one of ``beta``
        and ``k``; a ``k`` at a tie :math:`\lambda_k = \lambda_{k+1}` is refused with the nearest attainable ``k``
        (:func:`convexgan.duality.closed_form.beta_from_k`).
    method : str
        A method of ``PROGRAMS[(generator, critic)]``: ``"auto"`` (closed form where the pairing has one, else
        CVXPY, else its only method), ``"closed_form"`` (linear and quadratic critics, free and linear
        generators), ``"cvxpy"`` (linear, quadratic and polynomial critics, free and linear generators),
        ``"extragradient"`` (quadratic critic, free generator: :mod:`convexgan.duality.game`),
        ``"cutting_plane"`` (ReLU critic, free and linear generators: :func:`convexgan.duality.relu.solve_relu_critic`)
        or ``"two_step"`` (two-layer generators ``"relu2"`` and ``"quadratic2"``); see
        :mod:`convexgan.duality.extra_pairings` for what the last three certify.
    solver : str, optional
        ``"SCS"``, ``"CLARABEL"`` or ``"MOSEK"``; None picks per problem class
        (see :mod:`convexgan.duality.solvers`).
    m : int, optional
        Number of samples the free generator returns (default ``n``, or ``n + 1`` when ``n <= d``; at least the
        rank of the optimal moments).
    **critic_params
        The critic's parameters: ``a, b, c`` for the polynomial (defaults 0.09, 0.5, 0.47); ``max_patterns``,
        ``n_samples``, ``seed`` for the ReLU critic.

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

    References
    ----------
    .. [1] A. Sahiner, T. Ergen, B. Ozturkler, B. Bartan, J. Pauly, M. Mardani and M. Pilanci, "Hidden Convexity of
           Wasserstein GANs: Interpretable Generative Models with Closed-Form Solutions", ICLR 2022.
    .. [2] M. Pilanci and T. Ergen, "Neural Networks are Convex Regularizers: Exact Polynomial-time Convex
           Optimization Formulations for Two-layer Networks", ICML 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from convexgan.duality import solve
    >>> X = np.random.default_rng(0).standard_normal((200, 4)) * [3.0, 2.0, 1.0, 0.5]
    >>> exact = solve(X, "quadratic", k=2)
    >>> exact.k, exact.certificate.status
    (2, 'optimal')
    >>> sdp = solve(X, "quadratic", beta=exact.beta, method="cvxpy")
    >>> bool(abs(sdp.value - exact.value) <= 1e-4 * exact.value)
    True
    """
    samples = _check_moment_range(as_samples(X, "X"), "X")
    _check_pairing(critic, generator)
    params = critic_parameters(critic, critic_params)
    solver_name = check_solver_name(solver)
    inputs, count = _check_generator_input(generator, Z, m)
    resolved = _resolve_beta(samples, critic, beta, k)
    entry = PROGRAMS[(generator, critic)]
    chosen = _pick_method(entry, method, generator, critic)
    solution = entry[chosen](samples, Z=inputs, beta=resolved, k=k, solver=solver_name, m=count, **params)
    _warn_if_inaccurate(solution, resolved)
    return solution
