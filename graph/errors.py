"""One exception tree for citegraph.

Every message says what went wrong *and* what the user can do next.
"""

from __future__ import annotations


class CitegraphError(Exception):
    """Base class of every error citegraph raises on purpose."""


class SeedError(CitegraphError):
    """A seed input (file, line, identifier) cannot be used."""


class SeedFileError(SeedError):
    """A seed file cannot be read or has no usable entries at all."""


class StoreError(CitegraphError):
    """The local store cannot be opened or used."""


class StoreSchemaError(StoreError):
    """The store was written by an incompatible version of citegraph."""


class StoreCorruptError(StoreError):
    """The store file is damaged or is not a citegraph store."""


class SourceError(CitegraphError):
    """A paper source (Semantic Scholar, a local corpus) failed."""


class SourceUnavailableError(SourceError):
    """A source could not be reached, or kept failing after every retry: what was fetched is kept,
    and the same command run later goes on."""


class InvalidRecord(SourceError):
    """An object from a source that cannot be a paper record at all (no usable id); the source
    notes it as an invalid answer and goes on."""


class Interrupted(CitegraphError):
    """Work was stopped on request (Ctrl-C, a cancel from the page) before it finished; everything
    fetched before is stored, so running it again goes on. Not a :class:`SourceError`: expansion
    must not note it as one failed request and carry on with the next."""


class Cancelled(Interrupted):
    """The work was cancelled (from the page, by a Ctrl-C, or because the server is stopping); everything
    fetched before is stored, so running it again goes on."""


class PlanTooLongError(CitegraphError):
    """A run would take longer than the user agreed to (confirm, or pass ``--yes``)."""


class OutputError(CitegraphError):
    """An output location (``--out``, ``--name``, ``--csv``) cannot be written."""


class NothingUsableError(CitegraphError):
    """No seed could be resolved, so there is no graph to build."""


class AnalysisError(CitegraphError):
    """An analysis was asked for something the graph cannot answer."""
