"""Exports: the one path that writes a map's files (:func:`write_map`, over the format registry
:data:`graph.formats.FORMATS`), and what the formats are made of: tables (CSV, Parquet), GraphML,
GEXF, node-link JSON, BibTeX."""

from __future__ import annotations

import json
import re
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Sequence
from urllib.parse import quote

import networkx as nx
import pandas as pd

from .errors import Interrupted, OutputError
from .formats import EXPORT_FORMATS, FORMATS, MapExport
from .outputs import atomic_paths, check_name, check_out_dir, write_atomic  # noqa: F401  (importable from here)
from .model import PaperLinks
from .versions import merged_ids_text

if TYPE_CHECKING:
    from .analysis.results import MapAnalysis
    from .pipeline import MapRun

PAPER_COLUMNS = [
    "paper_id", "title", "year", "authors", "venue", "arxiv_id", "doi", "citation_count",
    "is_seed", "seed_section", "in_graph_citations", "in_graph_references", "merged_ids",
]


# -- the one export path ---------------------------------------------------------------------------------
def write_map(run: "MapRun", out_dir: str | Path, name: str, analysis: MapAnalysis | None = None,
              formats: Sequence[str] = EXPORT_FORMATS, bib_nodes: list | None = None,
              stop: Callable[[], bool] | None = None, whole_graph: bool = False) -> dict[str, Path]:
    """Write the map and its exports under ``out_dir`` as ``NAME.*``; returns each file by its
    format's key (:data:`graph.formats.FORMATS`). The tables and graph files hold the map's papers;
    ``whole_graph`` exports every paper of the graph instead (see :class:`graph.formats.MapExport`).

    Formats: ``html`` (the interactive map), ``csv``/``parquet`` (papers with every
    score and cluster label), ``edges`` (citation and similarity edges, CSV),
    ``bibtex`` (of ``bib_nodes``, default the map's papers), ``graphml``, ``gexf`` and ``json``
    (node-link). A format whose library is missing (Parquet needs pyarrow) is skipped when others
    were asked for too, and listed in ``run.skipped_exports`` with how to get it. ``stop()`` is asked
    before each file: once it says yes, :class:`Interrupted` is raised and nothing is written.
    """
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown:
        raise OutputError(f"unknown formats {unknown}; choose from {', '.join(EXPORT_FORMATS)}")
    check_name(name)
    out = check_out_dir(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create --out {out} ({exc.strerror or exc})") from None
    chosen = [f for f in FORMATS.values() if f.name in formats]
    for fmt in [f for f in chosen if f.needs and find_spec(f.needs) is None]:
        if len(chosen) == 1:
            raise OutputError(f"{fmt.name.capitalize()} export needs {fmt.needs}: {fmt.hint}, or choose --format csv")
        chosen.remove(fmt)
        run.skipped_exports.append(f"{fmt.name} ({fmt.hint} to get it)")
    if analysis is None:
        from .pipeline import analyse_map

        analysis = analyse_map(run)
    data = MapExport(run.graph, analysis, title=f"citegraph: {name}", bib_nodes=bib_nodes, name=name,
                     whole_graph=whole_graph)
    finals = [f.path(out, name) for f in chosen]
    # every file goes to a temporary file first and all are renamed into place together, so a full
    # disk or a crash leaves the previous export whole and never a mix of old and new files
    with atomic_paths(finals) as temps:
        for fmt, tmp in zip(chosen, temps):
            # asked to stop (a Ctrl-C) before every file: the temporary files go, the old export stays whole
            if stop is not None and stop():
                raise Interrupted("nothing written: stopped on request")
            fmt.write(data, tmp)
    return {fmt.key: path for fmt, path in zip(chosen, finals)}


def scores_table(analysis: MapAnalysis) -> pd.DataFrame:
    """Per-paper scores of the whole graph: influence and relatedness for every paper,
    map membership, cluster and explanation counts for the map's papers."""
    from .analysis.results import INFLUENCE_COLUMNS, RELATED_COLUMNS  # no analysis module (scipy) to import

    infl = analysis.influence[["rank", *INFLUENCE_COLUMNS]]
    rel = analysis.related[list(RELATED_COLUMNS)]
    table = infl.join(rel, how="left")
    map_cols = analysis.table[["cluster", "cluster_label", "bridge", "shared_references", "co_citations",
                               "path_to_seed"]]
    table = table.join(map_cols, how="left")
    # a seed's topic is its own (the related table lists the other papers only)
    table["topic"] = table["topic"].fillna(analysis.table["topic"].reindex(table.index))
    table.insert(0, "in_map", table.index.isin(analysis.nodes))
    table["relatedness"] = table["relatedness"].fillna(0.0)
    table["cluster"] = table["cluster"].astype("Int64")
    return table


# -- tables ------------------------------------------------------------------------------------------------
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells a spreadsheet would run as a formula (starting with ``=``,
    ``+``, ``-``, ``@``, tab or carriage return) start with ``'`` instead, as OWASP advises for CSV
    files. Only CSV gets this: Parquet and JSON keep the raw text.

    >>> csv_safe(pd.DataFrame({"t": ["=HYPERLINK(1)", "fine"], "n": [-1, 2]}))["t"].tolist()
    ["'=HYPERLINK(1)", 'fine']
    """
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v)
    return out


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """``df`` as CSV, formula cells neutralised (:func:`csv_safe`), written atomically."""
    safe = csv_safe(df)
    return write_atomic(path, lambda tmp: safe.to_csv(tmp, index=False))


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
            "merged_ids": merged_ids_text(d),
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


def write_graphml(g: nx.Graph, path: str | Path) -> Path:
    """GraphML of ``g`` (see :func:`plain_graph`), written atomically."""
    h = plain_graph(g)
    return write_atomic(path, lambda tmp: nx.write_graphml(h, tmp))


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
    """GEXF of ``g`` for Gephi, written atomically."""
    h = plain_graph(g)
    return write_atomic(path, lambda tmp: nx.write_gexf(h, tmp))


def edges_table(g: nx.DiGraph, analysis: MapAnalysis | None = None) -> pd.DataFrame:
    """Citation edges (kind ``cites``: source cites target) and, with an analysis, the
    map's similarity edges (kind ``similar``, undirected, with their two components)."""
    title = lambda n: g.nodes[n].get("title") if n in g else None
    rows = [{"kind": "cites", "source": u, "target": v, "source_title": title(u), "target_title": title(v),
             "is_influential": d.get("is_influential"), "similarity": None, "coupling": None, "cocitation": None}
            for u, v, d in g.edges(data=True)]
    if analysis is not None:
        for r in analysis.edges.itertuples():
            rows.append({"kind": "similar", "source": r.source, "target": r.target, "source_title": title(r.source),
                         "target_title": title(r.target), "is_influential": None, "similarity": r.similarity,
                         "coupling": r.coupling, "cocitation": r.cocitation})
    return pd.DataFrame(rows, columns=["kind", "source", "target", "source_title", "target_title",
                                       "is_influential", "similarity", "coupling", "cocitation"])


def write_node_link_json(g: nx.Graph, path: str | Path) -> Path:
    """networkx node-link JSON of ``g``, written atomically."""
    text = node_link_text(g)
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def node_link_text(g: nx.Graph) -> str:
    """networkx node-link JSON of ``g`` as text (values JSON cannot hold are written as text)."""
    return json.dumps(nx.node_link_data(g, edges="edges"), ensure_ascii=False, default=str)


def read_node_link_json(path: str | Path) -> nx.Graph:
    """Read a node-link JSON export back into a graph."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return nx.node_link_graph(data, edges="edges")


_BIB_TEXT = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
             "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_"}
# $, ^ and ~ are left alone: titles carry LaTeX math ($O(n^2)$) that BibTeX should typeset, and
# none of them can end a field or an entry
_BIB_TEXT_RE = re.compile("|".join(re.escape(k) for k in _BIB_TEXT))


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def bib_escape(text: str) -> str:
    r"""``text`` as the value of a braced BibTeX field: LaTeX specials escaped, and braces written
    as ``\textbraceleft{}``/``\textbraceright{}`` so the value's braces always balance. A
    title cannot close its field and open another (``x}, note={``), in BibTeX or any parser.

    >>> print(bib_escape("x}, note={PWNED"))
    x\textbraceright{}, note=\textbraceleft{}PWNED
    """
    return _BIB_TEXT_RE.sub(lambda m: _BIB_TEXT[m.group()], _one_line(text))


# kept verbatim in identifiers; anything else (braces, backslash, spaces, %, quotes) is %-encoded,
# which DOI and URL resolvers read as the same identifier
_BIB_ID_SAFE = "/:.;()[]<>-_+=?!*'@,"


def bib_identifier(value: str) -> str:
    """A DOI, arXiv id or URL for a BibTeX field: characters that could break out of the field
    are percent-encoded.

    >>> bib_identifier("10.1234/x}, title={PWNED}, note={")
    '10.1234/x%7D,%20title=%7BPWNED%7D,%20note=%7B'
    """
    return quote(str(value), safe=_BIB_ID_SAFE)


def bibtex(g: nx.Graph, nodes: list[str] | None = None) -> str:
    """BibTeX entries for ``nodes`` (default: every paper with a title).

    Keys are ``surname + year + title word``, unique among the titled papers of ``g`` and the same
    on every run (:mod:`graph.citekeys`). Every field is escaped (:func:`bib_escape`,
    :func:`bib_identifier`), so no value can inject fields or entries.
    """
    from .citekeys import citation_keys

    keys = citation_keys({p: d for p, d in g.nodes(data=True) if d.get("title")})
    out = []
    for pid in nodes if nodes is not None else list(g.nodes):
        d = g.nodes[pid]
        if not d.get("title"):
            continue
        fields = {"title": "{" + bib_escape(d["title"]) + "}"}
        if d.get("authors"):
            fields["author"] = "{" + " and ".join(bib_escape(a) for a in d["authors"]) + "}"
        year = d.get("year")
        if isinstance(year, int) and not isinstance(year, bool):
            fields["year"] = "{" + str(year) + "}"
        if d.get("venue"):
            fields["journal"] = "{" + bib_escape(d["venue"]) + "}"
        if d.get("doi"):
            fields["doi"] = "{" + bib_identifier(d["doi"]) + "}"
        if d.get("arxiv_id"):
            fields["eprint"] = "{" + bib_identifier(d["arxiv_id"]) + "}"
            fields["archiveprefix"] = "{arXiv}"
        url = _landing_page(pid, d)
        if url:
            fields["url"] = "{" + url + "}"
        body = ",\n".join(f"  {k} = {v}" for k, v in fields.items())
        kind = "article" if d.get("venue") else "misc"
        out.append(f"@{kind}{{{keys[pid]},\n{body}\n}}\n")
    return "\n".join(out)


def _landing_page(pid: str, d: dict) -> str | None:
    """A page a reader can open: the paper's page at its source, else its arXiv or DOI page.

    >>> _landing_page("CorpusId:7", {"links": {"arxiv": "https://arxiv.org/abs/1706.03762"}})
    'https://arxiv.org/abs/1706.03762'
    >>> _landing_page("CorpusId:7", {}) is None
    True
    """
    return PaperLinks.of_node(d).landing_page()
