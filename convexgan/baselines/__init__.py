"""Non-convex GAN trainers from the literature, measured against the exact optimum of the same problem.

One training loop (:func:`train`) with pluggable update rules (one file each), and the games they play (one
file each). Every run logs its distance to the exact solution against iterations and seconds.
"""

from convexgan.baselines.gda import AlternatingGDA, SimultaneousGDA
from convexgan.baselines.gradreg import GradientRegularisedGDA
from convexgan.baselines.linear_quadratic import LinearQuadraticGame
from convexgan.baselines.loop import History, train

__all__ = [
    "AlternatingGDA",
    "GradientRegularisedGDA",
    "History",
    "LinearQuadraticGame",
    "SimultaneousGDA",
    "train",
]
