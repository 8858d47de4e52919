"""The trained model: a stage's weights, the progressive generator, its latents and their seeds.

Imports: :mod:`~convexgan.choices` and :mod:`~convexgan.progressive.runtime` only.
"""
