"""convexgan's own warning and error classes.

The warnings derive from one base so that they can be filtered together:

.. code-block:: python

    import warnings
    from convexgan.exceptions import ConvexGANWarning

    warnings.simplefilter("error", ConvexGANWarning)   # every convexgan warning becomes an error

Numerical warnings (an inaccurate solve, no convergence) also derive from :class:`RuntimeWarning`, the
class numpy and scipy use for numerical trouble, so existing ``RuntimeWarning`` filters keep catching them.

The errors derive from the built-in class a caller would catch for that kind of failure (``ValueError``,
``RuntimeError``, ``ImportError``); the modules that raise them re-export them under their old names
(``from convexgan.duality.solvers import SolverError`` keeps working). This module imports nothing, so that
it stays importable without torch or CVXPY.
"""


class ConvexGANWarning(UserWarning):
    """Base class of every warning convexgan raises."""


class InaccurateSolutionWarning(ConvexGANWarning, RuntimeWarning):
    """A solve ended inaccurate (solver status or an independent check): the message carries the measured numbers."""


class ConvergenceWarning(ConvexGANWarning, RuntimeWarning):
    """An iterative method stopped before reaching its tolerance."""


class RankDefectWarning(ConvexGANWarning):
    """A stage or program keeps more components than its input has (numerical) rank."""


class SampleSizeWarning(ConvexGANWarning):
    """Fewer samples than dimensions: the covariance is singular and the estimate is biased."""


class LowerBoundWarning(ConvexGANWarning, RuntimeWarning):
    """A value computed from sampled candidates (ReLU activation patterns) is a lower bound, not the exact value."""


class RoundingWarning(ConvexGANWarning, RuntimeWarning):
    """A result holds only to its dtype's rounding: a matrix that must be PSD has negative eigenvalues within it
    (set to 0), or beta is so far below the data's scale that (C) can be met only to float64 rounding."""


class SquashedFramesWarning(ConvexGANWarning):
    """Frames that are not square were resized to a square (aspect ratio changed): the message carries the count."""


class TrainingImagesWarning(ConvexGANWarning):
    """A comparison with real images uses images the run trained on (too few unseen ones, or an unknown record)."""


class CorruptCacheWarning(ConvexGANWarning):
    """A run folder's pixel cache differs from the checksum recorded when it was written: it is rebuilt."""


class SolverError(RuntimeError):
    """A solver failed or returned a status other than optimal; the message names the solver and status."""


class InfeasibleError(ValueError):
    """The constraint (C) cannot be met by the given generator; the message names the smallest feasible beta."""


class MissingExtraError(ImportError):
    """An optional dependency is not installed; the message names the extra that installs it."""


class ImageDecodeError(ValueError):
    """An image file that cannot be turned into pixels; ``str(err)`` is ``"NAME (reason)"``."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} ({reason})")
        self.name = name
        self.reason = reason


class RunFolderLockedError(RuntimeError):
    """Another live process owns the run folder."""


class OptionError(ValueError):
    """A refusal naming options: ``str(err)`` names them as in Python (``resume=True``), :attr:`command_line`
    as on the command line (``--resume``), which the command line prints instead."""

    def __init__(self, python: str, command_line: str) -> None:
        super().__init__(python)
        self.command_line = command_line
