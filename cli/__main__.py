"""``python -m cli`` runs the same command line as ``sourcing``."""
from cli.main import cli

cli(prog_name="sourcing")
