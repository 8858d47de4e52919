"""One stage's mathematics: the closed form and its certificate, the principled and legacy solvers, the one
eigen-path policy (:mod:`~convexgan.progressive.stages.policy`) and the stage's typed report.

Imports: :mod:`~convexgan.progressive.linalg`, :mod:`~convexgan.progressive.pipeline`,
:mod:`~convexgan.progressive.model`, :mod:`~convexgan.progressive.runtime` and the duality core's closed form.
"""
