"""Dependencies imported on demand: optional extras, and CVXPY deferred until a program is built.

The core install (numpy, scipy, cvxpy, tqdm) solves every duality problem and runs ``convexgan solve``. The
image trainer, the plots, the demo, MOSEK and the benchmarks need extras (``pip install 'convexgan[train]'``
etc., see setup.cfg). A module that needs an extra imports it through :func:`require` (a package, in its
``__init__`` before its other imports), so that a missing package is a one-line :class:`MissingExtraError`
naming the extra; the command line prints that line.

The duality modules import CVXPY, ``scipy.sparse`` and their three ``scipy.optimize`` functions from here
(``from convexgan._extras import cvxpy as cp``): :class:`LazyModule` and :func:`deferred` import them on first
use, so that importing the duality registries (``convexgan solve --help`` lists them) stays light; CVXPY and
``scipy.optimize`` together take over 1 s to import.
"""

import importlib
import types
from collections.abc import Callable
from typing import Any

from convexgan.exceptions import MissingExtraError

PACKAGES = {"PIL": "Pillow", "sklearn": "scikit-learn"}  # import name -> distribution name, where they differ


def require(extra: str, name: str, *, user: str) -> types.ModuleType:
    """Import and return the module ``name`` of an extra, or raise a one-line :class:`MissingExtraError`.

    Parameters
    ----------
    extra : str
        The extra of setup.cfg that installs ``name`` for ``user`` (``"train"``, ``"plots"``, ``"demo"``...).
    name : str
        A module name (``"torch"``, ``"PIL.Image"``, ``"matplotlib.figure"``, ``"sklearn.datasets"``).
    user : str
        Who needs it, for the message (usually the caller's ``__name__``).

    Returns
    -------
    module

    Raises
    ------
    MissingExtraError
        ``"convexgan.progressive needs torch, which is not installed: pip install 'convexgan[train]'"``.
    """
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        if not f"{name}.".startswith(f"{err.name}."):  # a missing module inside the package: a broken install
            raise
        top = name.partition(".")[0]
        package = PACKAGES.get(top, top)
        raise MissingExtraError(
            f"{user} needs {package}, which is not installed: pip install 'convexgan[{extra}]'", name=name
        ) from None


class LazyModule(types.ModuleType):
    """A stand-in for the module ``name`` that imports it on the first attribute access and forwards to it."""

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self.__name__), attr)


def deferred(module: str, name: str) -> Callable[..., Any]:
    """The function ``module.name``, imported on its first call."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(module), name)(*args, **kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"``{module}.{name}``, imported on the first call."
    return call


cvxpy = LazyModule("cvxpy")
sparse = LazyModule("scipy.sparse")
brentq = deferred("scipy.optimize", "brentq")
linprog = deferred("scipy.optimize", "linprog")
lsq_linear = deferred("scipy.optimize", "lsq_linear")
nnls = deferred("scipy.optimize", "nnls")
