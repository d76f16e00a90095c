"""``citegraph``: a thin command line over :mod:`graph.pipeline`."""

from . import analysis, imports, maps  # noqa: F401  (each registers its commands)
from .common import EXIT_NOTHING, EXIT_OK, EXIT_USAGE, cli


def main() -> None:
    cli(prog_name="citegraph")


__all__ = ["EXIT_NOTHING", "EXIT_OK", "EXIT_USAGE", "cli", "main"]
