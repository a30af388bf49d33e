"""``python -m ketenlink`` is the ``ketenlink`` command."""

from ketenlink.cli import main

main()
