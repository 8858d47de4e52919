"""The data pipeline: the uint8 pixel cache, the streaming moments of every resolution, and the data operator.

Imports: :mod:`convexgan.data`, :mod:`~convexgan.choices` and :mod:`~convexgan.progressive.runtime`.
"""
