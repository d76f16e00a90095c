"""Which columns of a citation graph's paper CSV carry which field: the ones the user named, else
the ones recognised by their common names. ``citegraph import csv`` (:mod:`.csv_import`) and
``citegraph prepare csv`` (:mod:`graph.prepare.inputs`) choose them here, so both read a CSV alike.
"""

from __future__ import annotations

from typing import Iterable, NamedTuple

from ..errors import CitegraphError

__all__ = ["CSV_COLUMN_NAMES", "CsvColumns", "choose_csv_columns", "recognise_csv_columns"]

# common names of a paper CSV's columns, by field; matched case-insensitively, first wins
CSV_COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "title": ("title", "titles", "paper_title"),
    "id": ("id", "paper_id", "paperid", "node_id"),
    "year": ("year", "publication_year", "pub_year"),
    "doi": ("doi",),
    "arxiv": ("arxiv_id", "arxivid", "arxiv", "eprint"),
}


class CsvColumns(NamedTuple):
    """The column of each field (``None``: the files have none); unpacks as (title, id, year, doi, arxiv)."""

    title: str
    id: str | None
    year: str | None
    doi: str | None
    arxiv: str | None

    def named(self) -> dict[str, str]:
        """``{field: column}`` for the fields that have a column, as an import report lists them."""
        return {k: v for k, v in self._asdict().items() if v}


def recognise_csv_columns(columns: Iterable[str]) -> dict[str, str]:
    """Map fields (title, id, year, doi, arxiv) to the columns that carry them, by common names.

    >>> recognise_csv_columns(["ArXiv_ID", "Title", "year", "citations"])
    {'title': 'Title', 'year': 'year', 'arxiv': 'ArXiv_ID'}
    """
    by_lower = {c.lower(): c for c in columns}
    out = {}
    for key, names in CSV_COLUMN_NAMES.items():
        for name in names:
            if name in by_lower:
                out[key] = by_lower[name]
                break
    return out


def choose_csv_columns(columns: Iterable[str], *, title_column: str | None = None, id_column: str | None = None,
                       year_column: str | None = None, doi_column: str | None = None,
                       arxiv_column: str | None = None) -> CsvColumns:
    """The columns of ``columns`` (the paper files' header) that carry each field: the one named
    (``--title-column`` ...), else the one recognised (:func:`recognise_csv_columns`).
    :class:`CitegraphError` when no column holds titles, or a named column is not there.

    >>> choose_csv_columns(["ids", "titles"], arxiv_column="ids")
    CsvColumns(title='titles', id=None, year=None, doi=None, arxiv='ids')
    """
    cols = list(columns)
    found = recognise_csv_columns(cols)
    given = {"title": title_column, "id": id_column, "year": year_column, "doi": doi_column, "arxiv": arxiv_column}
    chosen = {k: given[k] or found.get(k) for k in given}
    if chosen["title"] is None:
        raise CitegraphError(f"no title column among {sorted(cols)}; name it with --title-column")
    for key, col in chosen.items():
        if col and col not in cols:
            raise CitegraphError(f"--{key}-column {col!r} is not a column of the paper files; they have "
                                 f"{sorted(cols)}")
    return CsvColumns(**chosen)
