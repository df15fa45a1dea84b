"""``python -m sourcing`` runs the same command line as ``sourcing``."""

from sourcing.cli.main import cli

cli(prog_name="sourcing")
