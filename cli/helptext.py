"""What --help shows beyond Click's defaults: whole command descriptions and each command's exit codes."""

import click


def exit_codes(*codes):
    """An epilog naming the exit codes: 0, then ``codes`` ("1 the advice changed", ...), then 2 for bad input."""
    listed = ["0 a result was produced", *codes, "2 bad input, with a line on standard error saying why"]
    return "Exit codes: " + "; ".join(sorted(listed, key=lambda code: int(code.split()[0]))) + "."


class Group(click.Group):
    """A command group whose command list shows each description whole, never cut short with '...'."""

    def format_commands(self, ctx, formatter):
        rows = [(name, self.get_command(ctx, name).get_short_help_str(limit=1000)) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)
