"""The output options shared by commands that print a report: ``-o FILE`` instead of standard output."""
import click

output_option = click.option("-o", "--output", "output_path", metavar="FILE", type=click.Path(dir_okay=False),
                             help="Write the report to FILE (atomically; a regular file is replaced) instead of "
                                  "standard output.")


def emit(text, output_path=None, color=None):
    """Print ``text``, or write it to ``output_path`` (without colour) and say so on standard error."""
    if output_path:
        from sourcing.cli.files import write_atomic  # only then: it brings the YAML writer
        write_atomic(output_path, click.unstyle(text))
        click.echo(f"Report written to {output_path}.", err=True)
    else:
        click.echo(text, nl=False, color=color)
