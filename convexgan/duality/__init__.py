"""Convex programs, closed forms, optimal critics and certificates for WGANs with two-layer critics."""

from convexgan.duality.closed_form import InfeasibleError, beta_from_k, k_from_beta

__all__ = ["InfeasibleError", "beta_from_k", "k_from_beta"]
