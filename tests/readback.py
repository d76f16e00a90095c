"""Reading exports back, for the tests: what a GraphML round trip keeps, and BibTeX text unescaped."""

from __future__ import annotations

import re

import networkx as nx

from graph.export import _BIB_TEXT, xml_safe

_BIB_UNTEXT = {v: k for k, v in _BIB_TEXT.items()}
_BIB_UNTEXT_RE = re.compile("|".join(re.escape(k) for k in sorted(_BIB_UNTEXT, key=len, reverse=True)))


def bib_unescape(text: str) -> str:
    """The text :func:`graph.export.bib_escape` was given."""
    return _BIB_UNTEXT_RE.sub(lambda m: _BIB_UNTEXT[m.group()], text)


def graphml_equivalent(g: nx.Graph) -> nx.Graph:
    """What a GraphML round trip keeps of ``g``: ``None`` attributes dropped, tuples as
    lists, characters XML cannot hold removed, and line ends of text as XML parsers read
    them (``\\r\\n`` and ``\\r`` become ``\\n``; inside lists, kept as JSON text, they survive)."""
    def one(v):
        v = xml_safe(v)
        return v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v
    keep = lambda d: {k: one(v) for k, v in d.items() if v is not None}
    h = g.__class__()
    h.graph.update(keep(g.graph))
    h.add_nodes_from((n, keep(d)) for n, d in g.nodes(data=True))
    h.add_edges_from((u, v, keep(d)) for u, v, d in g.edges(data=True))
    return h
