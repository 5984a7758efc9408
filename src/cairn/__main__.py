"""`python -m cairn` is the `cairn` command."""

from cairn.cli.app import main

main()
