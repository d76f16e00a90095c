"""Exports: tables (CSV, Parquet), GraphML, GEXF, node-link JSON, BibTeX."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

PAPER_COLUMNS = [
    "paper_id", "title", "year", "authors", "venue", "arxiv_id", "doi", "citation_count",
    "is_seed", "seed_section", "in_graph_citations", "in_graph_references",
]


def papers_table(g: nx.DiGraph, scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per paper of ``g`` with the columns of :data:`PAPER_COLUMNS`,
    joined with any per-paper ``scores`` (indexed by paper_id).

    >>> g = nx.DiGraph([("a", "b")]); papers_table(g)["in_graph_citations"].tolist()
    [0, 1]
    """
    rows = []
    for pid, d in g.nodes(data=True):
        rows.append({
            "paper_id": pid,
            "title": d.get("title"),
            "year": d.get("year"),
            "authors": "; ".join(d.get("authors") or []),
            "venue": d.get("venue"),
            "arxiv_id": d.get("arxiv_id"),
            "doi": d.get("doi"),
            "citation_count": d.get("citation_count"),
            "is_seed": bool(d.get("is_seed")),
            "seed_section": d.get("seed_section"),
            "in_graph_citations": g.in_degree(pid),
            "in_graph_references": g.out_degree(pid),
        })
    df = pd.DataFrame(rows, columns=PAPER_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    df["citation_count"] = df["citation_count"].astype("Int64")
    if scores is not None and len(scores):
        df = df.merge(scores, left_on="paper_id", right_index=True, how="left",
                      suffixes=("", "_score"))
    return df


def _plain(value: Any) -> Any:
    """GraphML/GEXF take str, int, float and bool only; lists and dicts become JSON text."""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def plain_graph(g: nx.Graph) -> nx.Graph:
    """A copy of ``g`` whose attributes GraphML and GEXF can hold (``None`` dropped)."""
    h = g.__class__()
    h.graph.update({k: _plain(v) for k, v in g.graph.items() if v is not None})
    for n, d in g.nodes(data=True):
        h.add_node(n, **{k: _plain(v) for k, v in d.items() if v is not None})
    for u, v, d in g.edges(data=True):
        h.add_edge(u, v, **{k: _plain(x) for k, x in d.items() if x is not None})
    return h


def write_graphml(g: nx.Graph, path: str | Path) -> Path:
    path = Path(path)
    nx.write_graphml(plain_graph(g), path)
    return path


def write_gexf(g: nx.Graph, path: str | Path) -> Path:
    path = Path(path)
    nx.write_gexf(plain_graph(g), path)
    return path


def write_node_link_json(g: nx.Graph, path: str | Path) -> Path:
    path = Path(path)
    data = nx.node_link_data(g, edges="edges")
    path.write_text(json.dumps(data, ensure_ascii=False, default=str), encoding="utf-8")
    return path


def read_node_link_json(path: str | Path) -> nx.Graph:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return nx.node_link_graph(data, edges="edges")


def _bib_escape(text: str) -> str:
    return text.replace("\\", "\\textbackslash{}").replace("{", "\\{").replace("}", "\\}") \
        .replace("&", "\\&").replace("%", "\\%").replace("#", "\\#").replace("_", "\\_")


def bibtex(g: nx.Graph, nodes: list[str] | None = None) -> str:
    """BibTeX entries for ``nodes`` (default: every paper with a title).

    Keys are ``s2_<first 10 characters of the paper id>`` so they are stable.
    """
    out = []
    for pid in nodes if nodes is not None else list(g.nodes):
        d = g.nodes[pid]
        if not d.get("title"):
            continue
        fields = {"title": "{" + _bib_escape(d["title"]) + "}"}
        if d.get("authors"):
            fields["author"] = "{" + " and ".join(_bib_escape(a) for a in d["authors"]) + "}"
        if d.get("year"):
            fields["year"] = "{" + str(d["year"]) + "}"
        if d.get("venue"):
            fields["journal"] = "{" + _bib_escape(d["venue"]) + "}"
        if d.get("doi"):
            fields["doi"] = "{" + d["doi"] + "}"
        if d.get("arxiv_id"):
            fields["eprint"] = "{" + d["arxiv_id"] + "}"
            fields["archiveprefix"] = "{arXiv}"
        fields["url"] = "{https://www.semanticscholar.org/paper/" + pid + "}"
        body = ",\n".join(f"  {k} = {v}" for k, v in fields.items())
        kind = "article" if d.get("venue") else "misc"
        out.append(f"@{kind}{{s2_{pid[:10]},\n{body}\n}}\n")
    return "\n".join(out)
