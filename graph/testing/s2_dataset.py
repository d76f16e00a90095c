"""The papers the local Semantic Scholar API server (:mod:`.s2_server`) serves: in S2's JSON shape,
with their citation adjacency, indexed by every id form S2 accepts, from a small synthetic set or
from ``shared/data/arxiv-cs-2023``.

>>> ds = S2Dataset.synthetic(3, [(1, 0), (2, 0)])
>>> ds.resolve("ARXIV:2101.00001") == ds.pid_of(1), len(ds.citations[ds.pid_of(0)])
(True, 2)
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from rapidfuzz import fuzz, process

from ..ids import arxiv_year, normalise_identifier, normalise_title
from ..sources.s2 import s2_request_id


@dataclass
class S2Dataset:
    """Papers in S2's shape plus citation adjacency, indexed by every ID form."""

    papers: dict[str, dict[str, Any]]
    references: dict[str, list[str]]
    # per-edge extras (isInfluential, intents, contexts) where the data has them
    edge_info: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.citations: dict[str, list[str]] = {pid: [] for pid in self.papers}
        for citing, cited_list in self.references.items():
            for cited in cited_list:
                self.citations.setdefault(cited, []).append(citing)
        self.alias: dict[str, str] = {}
        for pid, p in self.papers.items():
            self.alias[pid] = pid
            ext = p.get("externalIds") or {}
            if ext.get("ArXiv"):
                self.alias[f"ARXIV:{ext['ArXiv']}".lower()] = pid
            if ext.get("DOI"):
                self.alias[f"DOI:{ext['DOI']}".lower()] = pid
            if p.get("corpusId") is not None:
                self.alias[f"corpusid:{p['corpusId']}"] = pid
        self._titles = {pid: normalise_title(p.get("title") or "") for pid, p in self.papers.items()}
        self._title_exact = {t: pid for pid, t in self._titles.items()}
        for pid in self.papers:
            self.papers[pid].setdefault("citationCount", len(self.citations.get(pid, [])))
            self.papers[pid].setdefault("referenceCount", len(self.references.get(pid, [])))

    # -- lookups ---------------------------------------------------------------
    def resolve(self, raw_id: str) -> str | None:
        """The paper id a request's id names (any form S2 takes: ``ARXIV:``, ``DOI:``, ``CorpusId:``,
        ``URL:``...), or ``None`` where the dataset has no such paper."""
        raw_id = unquote(raw_id)
        if raw_id.lower() in self.alias:
            return self.alias[raw_id.lower()]
        try:
            pid = normalise_identifier(raw_id.removeprefix("URL:"), allow_title=False)
        except Exception:
            return None
        if pid.kind == "url":
            return None
        key = s2_request_id(pid)
        return self.alias.get(key.lower())

    def match_title(self, query: str, year: str | None = None) -> tuple[str, float] | None:
        """The paper whose title best matches ``query`` and the match's score (0 to 1), or ``None``;
        with ``year`` (S2's filter: ``2019``, ``2016-2020``, ``2010-``, ``-2015``; ValueError for
        another form), among the papers of those years only."""
        q = normalise_title(query)
        years = None
        if year is not None:
            first, dash, last = year.partition("-")
            years = (int(first or 0), int(last or 9999) if dash else int(first))
        titles = self._titles if years is None else {
            pid: t for pid, t in self._titles.items()
            if isinstance(self.papers[pid].get("year"), int) and years[0] <= self.papers[pid]["year"] <= years[1]}
        if years is None and q in self._title_exact:
            return self._title_exact[q], 1.0
        exact = [pid for pid, t in titles.items() if t == q] if years is not None else []
        if exact:
            return exact[-1], 1.0
        best = process.extractOne(q, titles, scorer=fuzz.token_sort_ratio, score_cutoff=85)
        return (best[2], best[1] / 100) if best else None

    # -- builders --------------------------------------------------------------
    @classmethod
    def from_arxiv_cs(cls, folder: str | Path) -> "S2Dataset":
        """Serve the real arXiv CS 2023 graph (ids, titles, source-cites-target edges).

        Paper ids are derived from the node index (sha1 of ``arxiv-cs-2023/<index>``) and
        the corpus id *is* the node index; years come from new-style arXiv IDs. Nothing is
        added that the data does not have: no authors, venues or abstracts.
        """
        folder = Path(folder)
        ids = _read_column(folder / "ids.csv.gz")
        titles = _read_column(folder / "titles.csv.gz")
        papers: dict[str, dict[str, Any]] = {}
        index_to_pid = []
        for i, (arxiv, title) in enumerate(zip(ids, titles)):
            pid = hashlib.sha1(f"arxiv-cs-2023/{i}".encode()).hexdigest()
            index_to_pid.append(pid)
            is_arxiv = "." in arxiv or "/" in arxiv
            ext = {"CorpusId": str(i)}
            if is_arxiv:
                ext["ArXiv"] = arxiv
            papers[pid] = {
                "paperId": pid, "corpusId": i, "externalIds": ext, "title": title,
                "year": arxiv_year(arxiv) if is_arxiv else None, "venue": "", "authors": [],
                "abstract": None, "tldr": None, "publicationDate": None,
            }
        refs: dict[str, list[str]] = {}
        with gzip.open(folder / "edges.csv.gz", "rt") as fh:
            next(fh)
            for line in fh:
                s, t = line.rstrip("\n").split(",")
                refs.setdefault(index_to_pid[int(s)], []).append(index_to_pid[int(t)])
        return cls(papers, refs)

    @classmethod
    def synthetic(cls, n_papers: int, edges: list[tuple[int, int]], *, prefix: str = "SYNTH") -> "S2Dataset":
        """A visibly synthetic dataset: paper ``i`` is ``SYNTH paper i``, arXiv id ``2101.<i:05d>``."""
        papers = {}
        pids = []
        for i in range(n_papers):
            pid = hashlib.sha1(f"{prefix}/{i}".encode()).hexdigest()
            pids.append(pid)
            papers[pid] = {
                "paperId": pid, "corpusId": 900000 + i,
                "externalIds": {"ArXiv": f"2101.{i:05d}", "DOI": f"10.9999/synth.{i}", "CorpusId": str(900000 + i)},
                "title": f"{prefix} paper {i}", "year": 2000 + i % 24, "venue": f"{prefix} Venue",
                "authors": [{"authorId": str(i), "name": f"{prefix} Author {i}"}],
                "abstract": f"Synthetic abstract of {prefix} paper {i}.", "tldr": None,
                "publicationDate": None,
            }
        refs: dict[str, list[str]] = {}
        info = {}
        for s, t in edges:
            refs.setdefault(pids[s], []).append(pids[t])
            info[(pids[s], pids[t])] = {"isInfluential": (s + t) % 3 == 0, "intents": ["background"],
                                        "contexts": [f"{prefix} paper {s} cites {prefix} paper {t}."]}
        return cls(papers, refs, info)

    def pid_of(self, index: int, prefix: str = "SYNTH") -> str:
        """The paper id (40 hex digits, as S2's) of synthetic paper ``index``."""
        return hashlib.sha1(f"{prefix}/{index}".encode()).hexdigest()


def _read_column(path: Path) -> list[str]:
    import csv

    with gzip.open(path, "rt", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        return [row[0] if row else "" for row in reader]
