"""Sub-commands of the ``convexgan`` command line, one module each (see :mod:`convexgan.cli`)."""
