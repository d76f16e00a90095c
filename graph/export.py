"""Exports: tables (CSV, Parquet), GraphML, GEXF, node-link JSON, BibTeX."""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator
from urllib.parse import quote

import networkx as nx
import pandas as pd

from .errors import OutputError
from .sources.s2 import is_s2_paper_id, paper_url
from .versions import merged_ids_text

if TYPE_CHECKING:
    from .analysis.results import MapAnalysis

PAPER_COLUMNS = [
    "paper_id", "title", "year", "authors", "venue", "arxiv_id", "doi", "citation_count",
    "is_seed", "seed_section", "in_graph_citations", "in_graph_references", "merged_ids",
]


# -- writing files safely ---------------------------------------------------------------------------------
NAME_MAX = 255  # bytes in one file name on every common file system
LONGEST_SUFFIX = ".papers.parquet"


def check_name(name: str) -> str:
    """``name`` if it is a plain file name (the base of the files written), else :class:`OutputError`:
    ``--name`` never leaves ``--out`` (no separators, ``..`` or absolute paths) and is never too long.

    >>> check_name("ai-chips")
    'ai-chips'
    """
    bad = (not name or name in (".", "..") or "/" in name or "\\" in name or "\0" in name
           or os.path.isabs(name) or any(ord(c) < 32 for c in name))
    if bad:
        raise OutputError(f"--name {name!r} must be a plain file name, without folders: use --out for the folder")
    if len((name + LONGEST_SUFFIX).encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise OutputError(f"--name is {len(name)} characters long; file names hold at most "
                          f"{NAME_MAX - len(LONGEST_SUFFIX)} here")
    return name


def _probe_writable(folder: Path, what: str) -> None:
    # a real file, not os.access: root passes os.access on a read-only mount
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".citegraph-probe-"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write {what} in {folder} ({exc.strerror or exc}); "
                          "choose a writable place") from None


def check_out_dir(out_dir: str | Path) -> Path:
    """Make sure ``out_dir`` is (or can become) a writable folder, before any request is spent."""
    out = Path(out_dir)
    for part in out.parts:
        if len(part.encode("utf-8", "surrogateescape")) > NAME_MAX:
            raise OutputError(f"--out has a folder name of {len(part)} characters; at most {NAME_MAX} fit")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file, not a folder")
    probe = out
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise OutputError(f"--out {out} lies under {probe}, which is a file, not a folder")
    _probe_writable(probe, "the exports")
    return out


def check_output_file(path: str | Path, option: str = "--csv") -> Path:
    """Make sure a single output file can be written, before any request is spent."""
    p = Path(path)
    if p.is_dir():
        raise OutputError(f"{option} {p} is a folder; give a file name")
    if not p.parent.is_dir():
        what = "does not exist" if not p.parent.exists() else "is not a folder"
        raise OutputError(f"{option} {p}: the folder {p.parent} {what}; create it first")
    if len(p.name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        raise OutputError(f"{option}: a file name of {len(p.name)} characters is too long (at most {NAME_MAX})")
    _probe_writable(p.parent, p.name)
    return p


_STALE_SECONDS = 3600  # a temporary file without a writer's pid (an older citegraph's) is stale after this


def _sweep_stale_temps(path: Path) -> None:
    """Remove the temporary files of ``path`` that a killed writer (``kill -9``, a power cut) left behind:
    their name carries the writer's pid, and that process is gone. Names without a pid (written by an
    older citegraph) go once they are an hour old."""
    prefix = f".{path.name[:100]}."
    try:
        candidates = [p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp")]
    except OSError:
        return
    for tmp in candidates:
        pid_text = tmp.name[len(prefix):].split("-", 1)[0]
        try:
            if pid_text.isdigit() and "-" in tmp.name[len(prefix):]:
                if _alive(int(pid_text)):
                    continue
            elif time.time() - tmp.stat().st_mtime < _STALE_SECONDS:
                continue
            tmp.unlink()
        except OSError:
            pass  # another run removed it, or it cannot be: left for the next sweep


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # it exists, owned by someone else
    return True


def _temp_path(path: Path) -> Path:
    # the writer's pid in the name tells a later run whether the file is still being written
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:100]}.{os.getpid()}-", suffix=".tmp")
    try:
        # mkstemp makes the file private (0600); the export gets the mode a plain open() would give it
        os.fchmod(fd, 0o666 & ~_umask())
    finally:
        os.close(fd)
    return Path(tmp)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _output_error(path: Path, exc: OSError) -> OutputError:
    if exc.errno == errno.ENOSPC:
        why = "the disk is full"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "no permission to write there"
    else:
        why = exc.strerror or str(exc)
    return OutputError(f"writing {path} failed ({why}); the files written before are unchanged")


@contextmanager
def atomic_paths(paths: list[Path]) -> Iterator[list[Path]]:
    """Temporary files beside ``paths``, renamed over them together once all are written.

    A full disk, a crash or an error midway leaves every previous file whole and the set
    of files unmixed: each is written to a temporary file in the same folder (so the final
    ``os.replace`` is an atomic rename on one file system), and only when all are written
    are they renamed into place.
    """
    temps: list[Path] = []
    try:
        for p in paths:
            _sweep_stale_temps(p)
            temps.append(_temp_path(p))
        yield temps
        for tmp, final in zip(temps, paths):
            os.replace(tmp, final)
        temps = []
    except OSError as exc:
        where = paths[0] if len(paths) == 1 else (paths[0].parent if paths else Path("."))
        raise _output_error(where, exc) from None
    finally:
        for tmp in temps:
            try:
                tmp.unlink()
            except OSError:
                pass


def write_atomic(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """``write(temporary_path)``, then rename the result over ``path`` (see :func:`atomic_paths`)."""
    path = Path(path)
    with atomic_paths([path]) as (tmp,):
        write(tmp)
    return path


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


def graphml_equivalent(g: nx.Graph) -> nx.Graph:
    """What a GraphML round trip keeps of ``g``: ``None`` attributes dropped, tuples as
    lists, characters XML cannot hold removed, and line ends of text as XML parsers read
    them (``\r\n`` and ``\r`` become ``\n``; inside lists, kept as JSON text, they survive)."""
    def one(v):
        v = xml_safe(v)
        return v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v
    keep = lambda d: {k: one(v) for k, v in d.items() if v is not None}
    h = g.__class__()
    h.graph.update(keep(g.graph))
    h.add_nodes_from((n, keep(d)) for n, d in g.nodes(data=True))
    h.add_edges_from((u, v, keep(d)) for u, v, d in g.edges(data=True))
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


def write_parquet(df: pd.DataFrame, path: str | Path) -> Path:
    """Parquet through pandas; needs pyarrow (``pip install 'citegraph[parquet]'``)."""
    try:
        import pyarrow  # noqa: F401
    except ImportError as exc:
        from .errors import CitegraphError

        raise CitegraphError("Parquet export needs pyarrow: pip install 'citegraph[parquet]', "
                             "or choose --format csv") from exc
    return write_atomic(path, lambda tmp: df.to_parquet(tmp, index=False))


def write_node_link_json(g: nx.Graph, path: str | Path) -> Path:
    """networkx node-link JSON of ``g``, written atomically."""
    text = json.dumps(nx.node_link_data(g, edges="edges"), ensure_ascii=False, default=str)
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def read_node_link_json(path: str | Path) -> nx.Graph:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return nx.node_link_graph(data, edges="edges")


_BIB_TEXT = {"\\": r"\textbackslash{}", "{": r"\textbraceleft{}", "}": r"\textbraceright{}",
             "&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_"}
# $, ^ and ~ are left alone: titles carry LaTeX math ($O(n^2)$) that BibTeX should typeset, and
# none of them can end a field or an entry
_BIB_TEXT_RE = re.compile("|".join(re.escape(k) for k in _BIB_TEXT))
_BIB_UNTEXT = {v: k for k, v in _BIB_TEXT.items()}
_BIB_UNTEXT_RE = re.compile("|".join(re.escape(k) for k in sorted(_BIB_UNTEXT, key=len, reverse=True)))


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


def bib_unescape(text: str) -> str:
    """The text :func:`bib_escape` was given (for reading an export back)."""
    return _BIB_UNTEXT_RE.sub(lambda m: _BIB_UNTEXT[m.group()], text)


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


def bib_key(paper_id: str) -> str:
    """A citation key from a paper id: ``s2_`` and its first 10 characters, letters and digits only."""
    return "s2_" + re.sub(r"[^A-Za-z0-9]", "_", str(paper_id)[:10])


def bibtex(g: nx.Graph, nodes: list[str] | None = None) -> str:
    """BibTeX entries for ``nodes`` (default: every paper with a title).

    Keys are ``s2_<first 10 characters of the paper id>`` so they are stable. Every field is
    escaped (:func:`bib_escape`, :func:`bib_identifier`), so no value can inject fields or entries.
    """
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
        out.append(f"@{kind}{{{bib_key(pid)},\n{body}\n}}\n")
    return "\n".join(out)


def write_bibtex(g: nx.Graph, path: str | Path, nodes: list[str] | None = None) -> Path:
    """:func:`bibtex` of ``nodes`` written atomically to ``path``."""
    text = bibtex(g, nodes)
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _landing_page(pid: str, d: dict) -> str | None:
    """A page a reader can open: the paper on Semantic Scholar for an S2 id, else its arXiv or DOI page.

    >>> _landing_page("CorpusId:7", {"arxiv_id": "1706.03762"})
    'https://arxiv.org/abs/1706.03762'
    >>> _landing_page("CorpusId:7", {}) is None
    True
    """
    if is_s2_paper_id(pid):
        return paper_url(pid)
    if d.get("arxiv_id"):
        return "https://arxiv.org/abs/" + quote(str(d["arxiv_id"]), safe="/.")
    if d.get("doi"):
        return "https://doi.org/" + quote(str(d["doi"]), safe="/.()-_;:")
    return None
