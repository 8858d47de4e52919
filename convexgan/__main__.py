"""``python -m convexgan`` runs the ``convexgan`` command."""

from convexgan.cli import main

raise SystemExit(main())
