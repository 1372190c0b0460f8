"""`python -m ctexchange` runs the `ctx` command."""

from ctexchange.cli.main import main

main()
