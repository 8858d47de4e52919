"""The certificate of a solve: a dict of its entries with typed properties, and the labels it can carry.

``Solution.certificate`` is a :class:`Certificate`, a ``dict`` subclass: it is read, iterated, copied
(``dict(cert)``) and written to JSON exactly as a dict, and its properties give the entries that every solve
records with their types. The entries are described in :mod:`convexgan.duality.solution`.

The label ``certificate["optimality"]`` is :data:`EXACT` when the result is the proven optimum, starts with
:data:`INACCURATE` (``"inaccurate: ..."`` with the measured numbers) when a check of
:mod:`convexgan.duality.certify` failed, and otherwise is a phrase saying what is and is not certified (as
CVXPY's statuses ``OPTIMAL`` and ``OPTIMAL_INACCURATE``, the constants name the labels code tests for).
"""

from typing import Any

EXACT = "exact"
INACCURATE = "inaccurate"


class Certificate(dict[str, Any]):
    """The certificate of one solve: the entries of :mod:`convexgan.duality.solution` as a dict.

    The properties read the entries that every solve records; other entries (``primal``, ``dual``, ``gap``,
    ``rank_tolerance``, and those of a pairing) are read by key.
    """

    @property
    def optimality(self) -> str:
        """The label: :data:`EXACT`, ``"inaccurate: ..."`` or a phrase stating what is certified."""
        return str(self["optimality"])

    @property
    def inaccurate(self) -> bool:
        """Whether the label says a check failed (it starts with :data:`INACCURATE`)."""
        return self.optimality.startswith(INACCURATE)

    @property
    def exact(self) -> bool:
        """Whether the label is :data:`EXACT` (the result is the proven optimum)."""
        return self.optimality == EXACT

    @property
    def violation(self) -> float:
        """``critic_gap(X, G) - beta`` measured from the returned samples (``<= 0``: (C) holds)."""
        return float(self["violation"])

    @property
    def solver(self) -> str:
        """The solver that produced the result (``"closed_form"`` for closed forms)."""
        return str(self["solver"])

    @property
    def status(self) -> str:
        """The solver's status (``"optimal"``, ``"optimal_inaccurate"``, ...)."""
        return str(self["status"])

    @property
    def tolerance(self) -> dict[str, float] | None:
        """The absolute ``violation`` and ``gap`` tolerances the label was checked against (solver results), else
        None."""
        tolerance: dict[str, float] | None = self.get("tolerance")
        return tolerance
