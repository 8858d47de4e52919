"""Where and how a training runs: device, torchrun processes, progress bars, phase timing, peak memory.

Imports: torch, tqdm and :mod:`convexgan.choices` only (no other room of the trainer).
"""
