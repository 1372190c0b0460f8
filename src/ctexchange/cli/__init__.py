"""The `ctx` command: a thin adapter over the service layer for the local operator.

Each command parses its arguments, calls the service as the operator (admin of the operator organization)
and renders the result: Rich tables for people, one JSON document with `--json` for scripts. Errors become
one line on stderr and an exit code from one table (`ctexchange.cli.output.EXIT_CODES`). Only the Typer
layer (`main.py`) ends the process.
"""
