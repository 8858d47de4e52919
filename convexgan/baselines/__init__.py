"""Non-convex GAN trainers from the literature, measured against the exact optimum of the same problem.

One training loop (:func:`train`) with pluggable update rules (one file each), and the games they play (one
file each). Every run logs its distance to the exact solution against iterations and seconds.
"""

from convexgan._extras import require

require("train", "torch", user=__name__)

from convexgan.baselines.accept_reject import GreedyAcceptReject
from convexgan.baselines.dirac import DiracGame
from convexgan.baselines.gda import AlternatingGDA, SimultaneousGDA
from convexgan.baselines.gradreg import GradientRegularisedGDA
from convexgan.baselines.linear_quadratic import LinearQuadraticGame
from convexgan.baselines.loop import History, train
from convexgan.baselines.mixtures import RingMixtureGame, modes_covered
from convexgan.baselines.plots import plot_error_vs_time
from convexgan.baselines.progressive import ProgressiveGDA
from convexgan.baselines.smoothed_ot import SmoothedOT

__all__ = [
    "AlternatingGDA",
    "DiracGame",
    "GradientRegularisedGDA",
    "GreedyAcceptReject",
    "History",
    "LinearQuadraticGame",
    "ProgressiveGDA",
    "RingMixtureGame",
    "SimultaneousGDA",
    "SmoothedOT",
    "modes_covered",
    "plot_error_vs_time",
    "train",
]
