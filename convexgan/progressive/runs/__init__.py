"""The run folder: its files, checkpoints, the lock, growth of a finished run and upgrades of older records.

Imports: :mod:`~convexgan.progressive.config` and the rooms below it (never the trainer).
"""
