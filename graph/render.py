"""Render the interactive map: one self-contained HTML file (pyvis + vis-network inlined).

No script, style, font or image comes from a URL, so the file opens from
``file://`` with no network, forever. Paper text (titles, abstracts, authors,
venues) is untrusted: it travels as JSON in a ``<script type="application/json">``
block with ``<``, ``>`` and ``&`` escaped, and the page only ever writes it with
``textContent``. A Content-Security-Policy forbids loading anything.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from .colours import NO_YEAR, SEED_MARK, cluster_colour, year_colours
from .model import PaperLinks
from .text import display_title

if TYPE_CHECKING:  # the page needs no pandas or scikit-learn to be imported for the annotation
    from .analysis.results import MapAnalysis

TEMPLATES = Path(__file__).parent / "templates"
def node_size(citations: int | None) -> float:
    """Node radius grows with the log of the citation count."""
    return 8 + 5 * math.log10(1 + (citations or 0))


def safe_json(data: Any) -> str:
    """JSON that cannot end the ``<script>`` element it sits in.

    >>> safe_json({"t": "</script><img src=x>"})
    '{"t": "\\\\u003c/script\\\\u003e\\\\u003cimg src=x\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False, default=_plain)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _plain(value):
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if value != value:  # NaN
        return None
    raise TypeError(f"cannot put {type(value).__name__} in the map")


def _num(x) -> float | None:
    if x is None:
        return None
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _trim(text: str | None, limit: int = 700) -> str | None:
    """Abstracts are cut to keep big maps small; the full text is a click away on S2."""
    if not text or len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _links(pid: str, d: dict) -> dict:
    """The links the source gave the paper (its node's ``links``), as the page reads them: ``s2`` is
    the page's name for the source's own page of the paper (the template's)."""
    links = PaperLinks.of_node(d)
    return {"s2": links.page, "pdf": links.pdf, "arxiv": links.arxiv, "doi": links.doi}


_STOP = frozenset("""a an the of for and or in on to with via from by at as is are be its into using towards toward
through over under based how what when why can do does we our you your their than more less not no all any beyond
new study approach method methods paper via very""".split())
_WORD = re.compile(r"[^\W_][\w\-]*[^\W_]|[^\W\d_]", re.UNICODE)


def title_words(title: str | None) -> list[str]:
    """The words of a title that can tell it apart (no stop words, none shorter than 3 letters).

    >>> title_words("Scaling Laws for Neural Language Models")
    ['Scaling', 'Laws', 'Neural', 'Language', 'Models']
    """
    return [w for w in _WORD.findall(display_title(title) or "") if len(w) >= 3 and w.lower() not in _STOP]


def short_label(d: dict, frequency: dict[str, int] | None = None, n_words: int = 2) -> str:
    """A node's label: first author's surname and year; where authors are missing, the title's name
    before its colon, else its ``n_words`` most distinctive words (the rarest among the map's
    titles, by ``frequency``: word (lower case) -> titles using it), in the title's order.

    >>> short_label({"authors": ["Ashish Vaswani", "Noam Shazeer"], "year": 2017})
    'Vaswani 2017'
    >>> short_label({"title": "Efficient  Memory Management for Large Language Model Serving", "year": 2023},
    ...             {"efficient": 9, "memory": 2, "management": 1, "large": 30, "language": 40, "model": 50,
    ...              "serving": 3})
    'Memory Management 2023'
    >>> short_label({"title": "GPTQ: Accurate Post-Training Quantization", "year": 2022})
    'GPTQ 2022'
    >>> short_label({"title": "Attention", "year": 2017})
    'Attention 2017'
    """
    authors = [a for a in (d.get("authors") or []) if a and a.strip()]
    year = d.get("year")
    if authors:
        first = authors[0].strip()
        # "Last, First" or "First Last"
        surname = first.split(",")[0].strip() if "," in first else first.split()[-1]
        return f"{surname} {year}" if year else surname
    title = display_title(d.get("title")) or ""
    if len(title) > 26:  # "Attention Is All You Need" is short enough to be its own label
        # the title up to its colon ("BERT: Pre-training…" -> "BERT"): papers name themselves so
        head = title.split(":")[0].strip()
        if 2 <= len(head) <= 22:
            title = head
        else:
            words = title_words(title)
            freq = frequency or {}
            order = {w: i for i, w in reversed(list(enumerate(words)))}
            # the rarest words; among equally rare ones the first (people know a paper by how its title starts)
            picked = sorted(order, key=lambda w: (freq.get(w.lower(), 0), order[w]))[:n_words]
            title = " ".join(sorted(picked, key=order.get)) or title[:21].rstrip() + "…"
    return f"{title} {year}".strip() if year else title


def map_labels(G: nx.DiGraph, nodes: list) -> dict:
    """Each map paper's label (:func:`short_label`), distinct across the map where the titles allow:
    two papers with one label get one more distinctive word each."""
    frequency: dict[str, int] = {}
    for n in nodes:
        for w in set(x.lower() for x in title_words(G.nodes[n].get("title"))):
            frequency[w] = frequency.get(w, 0) + 1
    labels = {n: short_label(G.nodes[n], frequency) for n in nodes}
    seen: dict[str, list] = {}
    for n, label in labels.items():
        seen.setdefault(label, []).append(n)
    for label, same in seen.items():
        if len(same) > 1:
            for n in same:
                if not [a for a in (G.nodes[n].get("authors") or []) if a and a.strip()]:
                    labels[n] = short_label(G.nodes[n], frequency, n_words=3)
    return labels


_short_label = short_label


def map_data(G: nx.DiGraph, analysis: MapAnalysis, title: str) -> dict:
    """Everything the page shows, as plain JSON-able data."""
    table = analysis.table
    expl = analysis.explanations
    titles = lambda ids: [display_title(G.nodes[i].get("title")) or i for i in ids]
    seeds = list(analysis.seeds)
    seed_index = {s: i for i, s in enumerate(seeds)}
    papers = []
    labels = map_labels(G, list(analysis.nodes))
    for i, pid in enumerate(analysis.nodes):
        d = G.nodes[pid]
        row = table.loc[pid]
        e = expl[pid]
        cluster = row.get("cluster")
        cluster = None if cluster is None or cluster != cluster else int(cluster)
        papers.append({
            "key": f"n{i}", "id": pid, "title": display_title(d.get("title")), "label": labels[pid],
            "authors": list(d.get("authors") or []), "year": d.get("year"),
            "venue": d.get("venue"), "citations": d.get("citation_count"), "in_graph_citations": G.in_degree(pid),
            "influential": d.get("influential_citation_count"),
            "abstract": _trim(d.get("abstract")), "tldr": d.get("tldr"), "is_seed": bool(d.get("is_seed")),
            "seed_section": d.get("seed_section"), "cluster": cluster,
            # the topic of the seeds it serves (graph.analysis.topics; a seed: its own)
            "topic": row.get("topic") if isinstance(row.get("topic"), str) else None,
            "cluster_label": row.get("cluster_label") if isinstance(row.get("cluster_label"), str) else None,
            "relatedness": _num(row.get("relatedness")) or 0.0, "pagerank": _num(row.get("pagerank")) or 0.0,
            "momentum": _num(row.get("momentum")),
            # whole-corpus scores, from a prepared corpus (`citegraph prepare`); None otherwise
            "corpus_pagerank": _num(d.get("corpus_pagerank")), "corpus_percentile": _num(d.get("corpus_percentile")),
            # a bridge links clusters (the analysis may mark it; older analyses do not)
            "bridge": bool(row.get("bridge")) if "bridge" in row.index and row.get("bridge") == row.get("bridge")
            else False,
            # [seed index, count] pairs: the seeds' titles are listed once, in "seeds"
            "why": {
                "shared": [[seed_index[s], len(v)] for s, v in e.shared_references.items() if s in seed_index],
                "cocited": [[seed_index[s], len(v)] for s, v in e.co_cited_by.items() if s in seed_index],
                "path": titles(e.path_to_nearest_seed or []),
                # the walk and text evidence behind relatedness (seeds have none: they are the start)
                "walk": None if d.get("is_seed") else _num(row.get("walk")),
                "text": None if d.get("is_seed") else _num(row.get("text_match")),
            },
            "links": _links(pid, d),
        })
    clusters = [{"id": int(r.cluster), "label": r.label, "size": int(r.size), "colour": cluster_colour(int(r.cluster))}
                for r in analysis.clusters.table.itertuples()]
    topic_names = list(dict.fromkeys(p["topic"] for p in papers if p["topic"]))
    topics = [{"name": t, "colour": cluster_colour(i), "size": sum(p["topic"] == t for p in papers)}
              for i, t in enumerate(topic_names)]

    def works(df, col):
        return [{"id": r.paper_id, "title": display_title(r.title), "year": None if r.year != r.year else r.year,
                 "count": int(getattr(r, col)), "authors": list(G.nodes[r.paper_id].get("authors") or []),
                 "venue": G.nodes[r.paper_id].get("venue"), "citations": G.nodes[r.paper_id].get("citation_count"),
                 "abstract": _trim(G.nodes[r.paper_id].get("abstract")), "tldr": G.nodes[r.paper_id].get("tldr"),
                 "links": _links(r.paper_id, G.nodes[r.paper_id])} for r in df.itertuples()]

    years = [p["year"] for p in papers if p["year"]]
    colours = year_colours(years)
    # legend: the years at the colour scale's quantiles (at most 7 swatches), oldest first
    distinct = sorted(colours)
    picks = sorted({distinct[round(i * (len(distinct) - 1) / 6)] for i in range(7)}) if distinct else []
    return {
        "title": title, "papers": papers, "clusters": clusters, "topics": topics,
        "seeds": [{"id": s, "title": display_title(G.nodes[s].get("title")) or s} for s in seeds],
        "year_colours": {str(y): c for y, c in colours.items()},
        "year_legend": [[y, colours[y]] for y in picks],
        "colours": {"seed": SEED_MARK, "no_year": NO_YEAR, "other": cluster_colour(-1)},
        "prior": works(analysis.prior, "cited_by_map"), "derivative": works(analysis.derivative, "cites_map"),
        "year_range": [min(years), max(years)] if years else [0, 0],
        "parameters": analysis.parameters.to_dict(),
    }


def map_options(n_papers: int) -> dict:
    """vis-network's options for a map of ``n_papers`` (the static map and ``citegraph serve`` share them)."""
    return {
        "physics": {"solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -90, "springLength": 110, "avoidOverlap": 0.6},
                    "stabilization": {"enabled": True, "iterations": 400, "updateInterval": 50, "fit": True}},
        "edges": {"smooth": False, "scaling": {"min": 0.5, "max": 5}, "color": {"color": "#c8c8c8"}},
        # labels sit under the dots with a white halo; the page keeps them ~11 px on screen at any zoom
        "nodes": {"font": {"size": 14, "color": "#222222", "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "scaling": {"min": 6, "max": 40}},
        "interaction": {"hover": True, "tooltipDelay": 100, "hideEdgesOnDrag": True},
        "layout": {"randomSeed": 7, "improvedLayout": n_papers <= 150},
    }


def template_env(pyvis_dir: str | None = None) -> Environment:
    """The Jinja environment of the map page: our templates, then pyvis's (vis-network is inlined from it)."""
    if pyvis_dir is None:
        # pyvis's templates folder, found without importing pyvis (which imports IPython)
        from importlib.util import find_spec

        pyvis_dir = str(Path(find_spec("pyvis").origin).parent / "templates")
    return Environment(loader=ChoiceLoader([FileSystemLoader(str(TEMPLATES)), FileSystemLoader(pyvis_dir)]))


def build_map_html(G: nx.DiGraph, analysis: MapAnalysis, *, title: str = "citegraph map") -> str:
    """The map of ``analysis.nodes`` linked by similarity edges, as one HTML string."""
    # pyvis imports IPython: only code that draws a map pays for it (not the CLI's tables, not serve)
    from pyvis.network import Network

    data = map_data(G, analysis, title)
    lo, hi = data["year_range"]
    net = Network(height="100%", width="100%", directed=False, cdn_resources="in_line")
    key = {p["id"]: p["key"] for p in data["papers"]}
    for p in data["papers"]:
        fill = data["year_colours"].get(str(p["year"]), NO_YEAR)
        net.add_node(p["key"], label=p["label"],
                     size=node_size(p["citations"]) * (1.3 if p["is_seed"] else 1.0),
                     color={"background": fill, "border": SEED_MARK if p["is_seed"] else "#666666"},
                     borderWidth=4 if p["is_seed"] else 1, shape="dot")
    for r in analysis.edges.itertuples():
        net.add_edge(key[r.source], key[r.target], value=round(float(r.similarity), 3))
    net.set_options(json.dumps(map_options(len(data["papers"]))))
    net.templateEnv = template_env(net.template_dir)
    net.path = "citegraph_map.html"
    page = net.generate_html(notebook=False)
    page = page.replace("__CITEGRAPH_TITLE__", html.escape(title), 1)
    return page.replace("__CITEGRAPH_DATA__", safe_json(data), 1)


def write_map_html(G: nx.DiGraph, analysis: MapAnalysis, path: str | Path, *, title: str = "citegraph map") -> Path:
    """Write :func:`build_map_html` to ``path``."""
    path = Path(path)
    path.write_text(build_map_html(G, analysis, title=title), encoding="utf-8")
    return path
