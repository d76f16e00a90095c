"""Render the citation map as one self-contained HTML file (pyvis + vis-network inlined)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import networkx as nx
from pyvis.network import Network

# pyvis always links bootstrap from a CDN, even with cdn_resources="in_line"; the map does not use it
_EXTERNAL_TAG = re.compile(r"<(?:link|script)\b[^>]*\b(?:href|src)=\"https?://[^\"]*\"[^>]*>(?:\s*</script>)?",
                           re.IGNORECASE)


def year_colour(year: int | None, lo: int, hi: int) -> str:
    """Light for old papers, dark for recent ones (Connected Papers' convention).

    >>> year_colour(2000, 2000, 2020), year_colour(2020, 2000, 2020)
    ('#c6dbef', '#08306b')
    """
    if year is None:
        return "#d9d9d9"
    t = 0.0 if hi == lo else (year - lo) / (hi - lo)
    light, dark = (0xC6, 0xDB, 0xEF), (0x08, 0x30, 0x6B)
    rgb = [round(a + (b - a) * t) for a, b in zip(light, dark)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def node_size(citations: int | None) -> float:
    return 8 + 6 * math.log10(1 + (citations or 0))


def tooltip(d: dict) -> str:
    """Plain text; vis-network shows string titles as text, never as HTML."""
    parts = [d.get("title") or "(untitled)"]
    meta = ", ".join(str(x) for x in [d.get("year"), d.get("venue")] if x)
    if meta:
        parts.append(meta)
    if d.get("citation_count") is not None:
        parts.append(f"{d['citation_count']} citations")
    if d.get("seed_section"):
        parts.append(f"seed: {d['seed_section']}")
    return "\n".join(parts)


def render_basic_map(g: nx.DiGraph, path: str | Path, *, title: str = "citegraph map",
                     analysis: dict | None = None) -> Path:
    """Write a first interactive map: node size by citations, colour by year, seeds outlined.

    With an ``analysis`` (from :func:`graph.analysis.analyse`), only the map's node set
    is drawn, linked by similarity edges; otherwise the whole citation graph.
    """
    if analysis is not None:
        nodes = analysis["nodes"]
        edges = list(analysis["edges"][["source", "target"]].itertuples(index=False, name=None))
        directed = False
    else:
        nodes, edges, directed = list(g.nodes), list(g.edges), True
    years = [g.nodes[n]["year"] for n in nodes if g.nodes[n].get("year")]
    lo, hi = (min(years), max(years)) if years else (0, 0)
    net = Network(height="100vh", width="100%", directed=directed, cdn_resources="in_line", heading="")
    for pid in nodes:
        d = g.nodes[pid]
        seed = bool(d.get("is_seed"))
        net.add_node(pid, label=(d.get("title") or pid)[:40] if seed else " ", title=tooltip(d),
                     size=node_size(d.get("citation_count")) * (1.4 if seed else 1.0),
                     color={"background": year_colour(d.get("year"), lo, hi),
                            "border": "#d62728" if seed else "#6b6b6b"},
                     borderWidth=4 if seed else 1)
    for u, v in edges:
        net.add_edge(u, v, color="#bbbbbb", width=0.5)
    net.toggle_physics(True)
    html = net.generate_html(notebook=False)
    html = _EXTERNAL_TAG.sub("", html)
    html = html.replace("<title>", f"<title>{_escape(title)}", 1) if "<title>" in html else html
    path = Path(path)
    path.write_text(html, encoding="utf-8")
    return path


def _escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)
