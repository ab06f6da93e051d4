"""``python -m minica``: the same as the ``minica`` command."""

from minica.cli.main import main

main()
