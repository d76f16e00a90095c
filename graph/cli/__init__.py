"""``citegraph``: a thin command line over :mod:`graph.pipeline`."""

import sys

import click

from . import analysis, imports, maps, prepare, s2_imports, s2_prepare  # noqa: F401  (each registers its commands)
from ..errors import CitegraphError
from .common import EXIT_NOTHING, EXIT_OK, EXIT_USAGE, cli, report_error


EXIT_INTERRUPTED = 130


def main() -> None:
    # not click's standalone mode: it turns Ctrl-C into "Aborted!" and exit 1
    try:
        code = cli.main(prog_name="citegraph", standalone_mode=False)
    except (click.exceptions.Abort, KeyboardInterrupt):
        # click raises Abort for a Ctrl-C, and for an EOFError, which only its prompts let through: no
        # command prompts through click (the run's "Go on?" reads the terminal itself; Ctrl-D there is a no).
        # Every response was stored as it arrived, so this is a pause, not a loss
        click.echo("\ninterrupted: everything fetched so far is stored; run the same command again to go on",
                   err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (CitegraphError, OSError) as exc:  # raised before a command ran (the group handles the rest)
        report_error(exc)
        sys.exit(EXIT_NOTHING)
    sys.exit(code if isinstance(code, int) else EXIT_OK)


from . import news, serve  # noqa: E402,F401  (register `citegraph news` and `citegraph serve`)

__all__ = ["EXIT_NOTHING", "EXIT_OK", "EXIT_USAGE", "cli", "main"]
