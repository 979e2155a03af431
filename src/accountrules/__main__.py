"""``python -m accountrules``: the same as the ``accountrules`` command."""

from accountrules.cli import main

main()
