r"""The one training loop shared by every baseline, and the record it keeps.

A *game* is any object with

- ``generator_parameters`` and ``critic_parameters``: lists of leaf tensors with ``requires_grad``;
- ``draw()``: one minibatch (``None`` for population games, whose objectives are exact expectations);
- ``critic_objective(draw)``: the scalar :math:`V_D` the critic maximises;
- ``generator_objective(draw)``: the scalar :math:`V_G` the generator minimises (``V_G = V_D = V`` for
  zero-sum games);
- ``measure()``: a dict of floats, the distances of the current generator to the exact optimum of the game.

An *update rule* (:class:`convexgan.baselines.rule.UpdateRule`) is bound to a game and changes its parameters
in place at every :meth:`step`. :func:`train` times the steps only (not the measurements) and logs
``measure()`` against iterations and seconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from tqdm.auto import tqdm

from convexgan._validation import check_int, check_positive

if TYPE_CHECKING:
    from convexgan.baselines.rule import Game


class Rule(Protocol):
    """What :func:`train` uses of an update rule (:class:`~convexgan.baselines.rule.UpdateRule` and wrappers)."""

    @property
    def name(self) -> str:
        """The rule's name in the history and the progress bar."""

    def bind(self, game: Game) -> None:
        """Attach the rule to ``game``."""

    def step(self, iteration: int) -> None:
        """Change the game's parameters in place (iteration counts from 1)."""


@dataclass
class History:
    """Distances to the exact optimum logged against iterations and training seconds.

    Attributes
    ----------
    method : str
        Name of the update rule.
    iterations : list of int
        Iteration counts at which the game was measured (0 is the initial point).
    seconds : list of float
        Training time spent up to each logged iteration, measurements excluded.
    metrics : dict of str to list of float
        One list per key of ``game.measure()``, aligned with ``iterations``.
    diverged : bool
        True when a metric became NaN or infinite and the run was stopped there.
    """

    method: str
    iterations: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    diverged: bool = False

    def record(self, iteration: int, seconds: float, values: dict[str, float]) -> None:
        """Append one measurement."""
        self.iterations.append(int(iteration))
        self.seconds.append(float(seconds))
        for key, value in values.items():
            self.metrics.setdefault(key, []).append(float(value))

    def final(self, metric: str) -> float:
        """The last logged value of ``metric``."""
        return self.metrics[metric][-1]

    def time_to(self, metric: str, tol: float) -> float | None:
        """Training seconds until ``metric <= tol`` was first logged, or ``None`` if it never was."""
        for seconds, value in zip(self.seconds, self.metrics[metric]):
            if value <= tol:
                return seconds
        return None

    def iterations_to(self, metric: str, tol: float) -> int | None:
        """Iterations until ``metric <= tol`` was first logged, or ``None`` if it never was."""
        for iteration, value in zip(self.iterations, self.metrics[metric]):
            if value <= tol:
                return iteration
        return None

    def seconds_per_iteration(self) -> float:
        """Mean training seconds per iteration over the run."""
        return self.seconds[-1] / self.iterations[-1] if self.iterations[-1] else math.nan


def train(game: Game, rule: Rule, steps: int, *, log_every: int = 10, metric: str = "relative_error",
          tol: float | None = None, max_seconds: float | None = None, progress: bool = True) -> History:
    """Run ``rule`` on ``game`` for ``steps`` iterations, logging ``game.measure()``.

    Parameters
    ----------
    game : game object
        See the module docstring.
    rule : UpdateRule
        The update rule; it is bound to ``game`` here.
    steps : int >= 1
        Number of iterations.
    log_every : int >= 1
        Measure the game every ``log_every`` iterations (and at the last one).
    metric : str
        The key of ``game.measure()`` that ``tol`` refers to and that decides divergence.
    tol : float > 0, optional
        Stop as soon as ``metric <= tol``.
    max_seconds : float > 0, optional
        Stop once this much training time is spent.
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    History

    References
    ----------
    .. [1] V. Nagarajan and J. Z. Kolter, "Gradient descent GAN optimization is locally stable", NeurIPS 2017.
    .. [2] M. Sanjabi, J. Ba, M. Razaviyayn and J. D. Lee, "On the Convergence and Robustness of Training GANs with
           Regularized Optimal Transport", NeurIPS 2018.
    .. [3] O. Mangoubi, S. Mehrotra and N. K. Vishnoi, "A Provably Convergent and Practical Algorithm for Min-Max
           Optimization with Applications to GANs", 2020 (arXiv:2006.12376).

    Examples
    --------
    >>> import numpy as np
    >>> from convexgan.baselines import LinearQuadraticGame, SimultaneousGDA
    >>> game = LinearQuadraticGame(second_moment=np.diag([2.0, 1.0, 0.3]), beta=0.5, rho=1.0, seed=1)
    >>> history = train(game, SimultaneousGDA(lr=5e-2), 1000, log_every=100, progress=False)
    >>> bool(history.final("relative_error") < 1e-6)  # converges to (S_X - beta I)_+
    True
    """
    steps = check_int(steps, "steps", 1, 10**9)
    log_every = check_int(log_every, "log_every", 1, 10**9)
    if tol is not None:
        tol = check_positive(tol, "tol")
    if max_seconds is not None:
        max_seconds = check_positive(max_seconds, "max_seconds")
    rule.bind(game)
    history = History(rule.name)
    values = game.measure()
    if metric not in values:
        raise ValueError(f"metric={metric!r} must be one of the game's measurements {sorted(values)}")
    history.record(0, 0.0, values)
    spent = 0.0
    with tqdm(total=steps, desc=rule.name, disable=not progress, leave=False) as bar:
        for iteration in range(1, steps + 1):
            start = time.perf_counter()
            rule.step(iteration)
            spent += time.perf_counter() - start
            bar.update()
            out_of_time = max_seconds is not None and spent >= max_seconds
            if iteration % log_every and iteration != steps and not out_of_time:
                continue
            values = game.measure()
            history.record(iteration, spent, values)
            if not math.isfinite(values[metric]):
                history.diverged = True
                break
            if out_of_time or (tol is not None and values[metric] <= tol):
                break
    return history
