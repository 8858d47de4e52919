"""convexgan: Wasserstein GANs with two-layer critics, solved exactly through convex duality."""

__version__ = "0.1.0"
