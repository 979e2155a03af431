"""``python -m accountrules.cli``: the same as the ``accountrules`` command."""

from accountrules.cli import main

main()
