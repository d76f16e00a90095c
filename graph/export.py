"""Exports: tables (CSV, Parquet), GraphML, GEXF, node-link JSON, BibTeX."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd

PAPER_COLUMNS = [
    "paper_id", "title", "year", "authors", "venue", "arxiv_id", "doi", "citation_count",
    "is_seed", "seed_section", "in_graph_citations", "in_graph_references", "merged_ids",
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
            # the records of this work that were merged into this row (graph.versions)
            "merged_ids": "; ".join(map(str, d.get("merged_ids") or [])) or None,
        })
    df = pd.DataFrame(rows, columns=PAPER_COLUMNS)
    df["year"] = df["year"].astype("Int64")
    df["citation_count"] = df["citation_count"].astype("Int64")
    if scores is not None and len(scores):
        df = df.merge(scores, left_on="paper_id", right_index=True, how="left",
                      suffixes=("", "_score"))
    return df


JSON_ATTRS = "citegraph_json_attributes"  # graph attribute naming the JSON-encoded attributes
# characters XML 1.0 cannot hold at all (C0 controls but tab, newline, carriage return; U+FFFE/U+FFFF)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_safe(value: Any) -> Any:
    """``value`` with the characters XML cannot hold removed (strings, also inside lists), and
    line ends as an XML reader returns them (CR and CRLF read back as LF).

    >>> xml_safe("a\x08b\\r\\nc")
    'ab\\nc'
    """
    if isinstance(value, str):
        return _NOT_XML.sub("", value).replace("\r\n", "\n").replace("\r", "\n")
    if isinstance(value, (list, tuple)):
        return [xml_safe(v) for v in value]
    if isinstance(value, dict):
        return {xml_safe(k): xml_safe(v) for k, v in value.items()}
    return value


def plain_graph(g: nx.Graph) -> nx.Graph:
    """A copy of ``g`` whose attributes GraphML and GEXF can hold: ``None`` is dropped,
    lists and dicts become JSON text, and their names are listed in the graph
    attribute ``citegraph_json_attributes`` so :func:`read_graphml` can restore them."""
    encoded: set[str] = set()

    def plain(items):
        out = {}
        for k, v in items:
            if v is None:
                continue
            v = xml_safe(v)
            if isinstance(v, (list, tuple, dict)):
                encoded.add(k)
                v = json.dumps(v, ensure_ascii=False)
            out[k] = v
        return out

    h = g.__class__()
    h.graph.update(plain(g.graph.items()))
    for n, d in g.nodes(data=True):
        h.add_node(n, **plain(d.items()))
    for u, v, d in g.edges(data=True):
        h.add_edge(u, v, **plain(d.items()))
    h.graph[JSON_ATTRS] = json.dumps(sorted(encoded))
    return h


def graphml_equivalent(g: nx.Graph) -> nx.Graph:
    """What a GraphML round trip keeps of ``g``: ``None`` attributes dropped, tuples as
    lists, characters XML cannot hold removed."""
    keep = lambda d: {k: xml_safe(v) for k, v in d.items() if v is not None}
    h = g.__class__()
    h.graph.update(keep(g.graph))
    h.add_nodes_from((n, keep(d)) for n, d in g.nodes(data=True))
    h.add_edges_from((u, v, keep(d)) for u, v, d in g.edges(data=True))
    return h


def write_graphml(g: nx.Graph, path: str | Path) -> Path:
    path = Path(path)
    nx.write_graphml(plain_graph(g), path)
    return path


def read_graphml(path: str | Path) -> nx.Graph:
    """Read a citegraph GraphML export back, restoring list attributes.

    >>> g = nx.DiGraph(); g.add_node("p", authors=["A", "B"], year=2020)
    >>> import tempfile, os; f = os.path.join(tempfile.mkdtemp(), "g.graphml")
    >>> read_graphml(write_graphml(g, f)).nodes["p"]
    {'authors': ['A', 'B'], 'year': 2020}
    """
    g = nx.read_graphml(path)
    for key in ("node_default", "edge_default"):  # added by the GraphML reader, not ours
        if not g.graph.get(key):
            g.graph.pop(key, None)
    encoded = set(json.loads(g.graph.pop(JSON_ATTRS, "[]")))
    decode = lambda d: d.update({k: json.loads(v) for k, v in d.items() if k in encoded})
    decode(g.graph)
    for _, d in g.nodes(data=True):
        decode(d)
    for _, _, d in g.edges(data=True):
        decode(d)
    return g


def write_gexf(g: nx.Graph, path: str | Path) -> Path:
    path = Path(path)
    nx.write_gexf(plain_graph(g), path)
    return path


def edges_table(g: nx.DiGraph, analysis: dict | None = None) -> pd.DataFrame:
    """Citation edges (kind ``cites``: source cites target) and, with an analysis, the
    map's similarity edges (kind ``similar``, undirected, with their two components)."""
    title = lambda n: g.nodes[n].get("title") if n in g else None
    rows = [{"kind": "cites", "source": u, "target": v, "source_title": title(u), "target_title": title(v),
             "is_influential": d.get("is_influential"), "similarity": None, "coupling": None, "cocitation": None}
            for u, v, d in g.edges(data=True)]
    if analysis is not None:
        for r in analysis["edges"].itertuples():
            rows.append({"kind": "similar", "source": r.source, "target": r.target, "source_title": title(r.source),
                         "target_title": title(r.target), "is_influential": None, "similarity": r.similarity,
                         "coupling": r.coupling, "cocitation": r.cocitation})
    return pd.DataFrame(rows, columns=["kind", "source", "target", "source_title", "target_title",
                                       "is_influential", "similarity", "coupling", "cocitation"])


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Parquet through pandas; needs pyarrow (``pip install 'citegraph[parquet]'``)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        from .errors import CitegraphError

        raise CitegraphError("Parquet export needs pyarrow: pip install 'citegraph[parquet]', "
                             "or choose --format csv") from exc
    path = Path(path)
    df.to_parquet(path, index=False)
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
