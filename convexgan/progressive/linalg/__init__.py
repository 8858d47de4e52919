"""The linear algebra of a stage, on tensors: matrix eigen-solvers, block Krylov, the Gram route, the certificate.

Every solver takes a concrete method (the policy is :mod:`convexgan.progressive.stages.policy`'s). Imports:
:mod:`~convexgan.choices` and :mod:`~convexgan.progressive.runtime` only.
"""
