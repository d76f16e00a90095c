"""What ``citegraph news`` writes: markdown, an Atom feed, and the new papers for the citation writers."""

from __future__ import annotations

import datetime as dt

from .errors import OutputError
from .news import News
from .news_snapshots import day
from .text import display_title, plural


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def news_markdown(news: News, *, title: str = "citegraph news") -> str:
    """The news as a markdown document: new papers (a numbered list with why) and citation jumps."""
    lines = [f"# {title}", "", f"{day(news.taken_at)}: compared with {news.baseline}; "
             f"{plural(len(news.new), 'new paper')} on the map of {news.map_papers}.", ""]
    if news.new:
        lines += ["## New on the map", ""]
        for i, n in enumerate(news.new, start=1):
            head = display_title(n.title) or n.paper_id
            link = f"[{_md(head)}]({n.url})" if n.url else f"**{_md(head)}**"
            meta = ", ".join(x for x in [n.authors[0] + (" et al." if len(n.authors) > 1 else "") if n.authors else "",
                                         str(n.year) if n.year else "", n.venue or ""] if x)
            lines.append(f"{i}. {link}" + (f" ({_md(meta)})" if meta else "") + f" — relatedness {n.relatedness:.2f}")
            if n.why:
                lines.append(f"   {_md(n.why)}")
        lines.append("")
    if news.jumps:
        lines += ["## Citations jumped", ""]
        for j in news.jumps:
            lines.append(f"- {_md(display_title(j.title) or j.paper_id)}: {j.before:,} → {j.after:,} (+{j.gained:,})")
        lines.append("")
    if not news.new and not news.jumps:
        lines += ["Nothing new.", ""]
    return "\n".join(lines)


def _md(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in " ".join(str(text).split()))


def atom_feed(news: News, *, title: str = "citegraph news", previous: str | None = None, keep: int = 100,
              previous_name: str = "the feed file") -> str:
    """An Atom 1.0 feed of the new papers (one entry each, newest run first), with the entries of
    ``previous`` (the feed file as it was, named ``previous_name`` in messages) after them, up to ``keep``
    entries. A ``previous`` that is not an Atom feed (damaged, or another file given as ``--feed`` by
    mistake) raises :class:`OutputError`: replacing it would lose what it holds."""
    from xml.etree import ElementTree as ET

    ns = _ATOM
    ET.register_namespace("", ns)
    q = lambda tag: f"{{{ns}}}{tag}"
    feed = ET.Element(q("feed"))
    ET.SubElement(feed, q("title")).text = _xml(title)
    ET.SubElement(feed, q("id")).text = f"urn:citegraph:news:{news.seed_key}"
    ET.SubElement(feed, q("updated")).text = _iso(news.taken_at)
    author = ET.SubElement(feed, q("author"))
    ET.SubElement(author, q("name")).text = "citegraph"
    ET.SubElement(feed, q("generator")).text = "citegraph"
    entries = []
    for n in news.new:
        e = ET.Element(q("entry"))
        ET.SubElement(e, q("title")).text = _xml(display_title(n.title) or n.paper_id)
        ET.SubElement(e, q("id")).text = f"urn:citegraph:news:{news.seed_key}:{_xml(n.paper_id)}"
        ET.SubElement(e, q("updated")).text = _iso(news.taken_at)
        if n.url:
            ET.SubElement(e, q("link"), href=n.url)
        for name in n.authors[:10]:
            a = ET.SubElement(e, q("author"))
            ET.SubElement(a, q("name")).text = _xml(name)
        summary = f"Relatedness {n.relatedness:.2f}" + (f"; {n.why}" if n.why else "") + \
            (f" ({n.year})" if n.year else "")
        ET.SubElement(e, q("summary")).text = _xml(summary)
        entries.append(e)
    ids = {e.find(q("id")).text for e in entries}
    old = _feed_root(previous, previous_name)
    if old is not None:
        for e in old.findall(q("entry")):
            got = e.find(q("id"))
            if got is not None and got.text not in ids:
                ids.add(got.text)
                entries.append(e)
    for e in entries[:keep]:
        feed.append(e)
    return ET.tostring(feed, encoding="unicode", xml_declaration=True) + "\n"


_ATOM = "http://www.w3.org/2005/Atom"


def _feed_root(previous: str | None, name: str):
    """The root element of an existing feed's text (``None`` for no text); :class:`OutputError` when it is
    not an Atom feed, so that a damaged feed or another file given as ``--feed`` is never replaced."""
    from xml.etree import ElementTree as ET

    if not previous or not previous.strip():
        return None
    try:
        root = ET.fromstring(previous)
    except ET.ParseError as exc:
        raise OutputError(f"{name} is not an Atom feed citegraph can add to (not XML: {exc}); nothing was "
                          "written: repair it, move it away or give another --feed path") from None
    if root.tag != f"{{{_ATOM}}}feed":
        raise OutputError(f"{name} is not an Atom feed (its root element is <{root.tag}>); nothing was written: "
                          "move it away or give another --feed path")
    return root


def read_feed(path) -> str | None:
    """The text of the feed file at ``path`` to add to (``None``: no file yet), checked to be an Atom feed
    (:class:`OutputError` otherwise, or when it cannot be read)."""
    from pathlib import Path

    if Path(path).exists() and not Path(path).is_file():
        return None  # a FIFO or a device is written into, never read (reading it would block)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return None  # the first run: a new feed
    except UnicodeDecodeError:  # not text: some other file given as --feed, not to be replaced
        raise OutputError(f"{path} is not an Atom feed (not UTF-8 text); nothing was written: move it away or "
                          "give another --feed path") from None
    except OSError as exc:
        raise OutputError(f"cannot read the feed {path} ({exc.strerror}); check the path") from None
    _feed_root(text, str(path))
    return text


def _xml(text: str) -> str:
    """Text XML 1.0 can hold (no control characters)."""
    from .export import xml_safe

    return " ".join(xml_safe(str(text)).split())


def new_papers_graph(news: News):
    """The new papers as a graph the RIS, CSL-JSON and BibTeX writers take, and a note for each saying
    since when it is new and why it is on the map."""
    import networkx as nx

    g = nx.DiGraph()
    notes = {}
    for n in news.new:
        g.add_node(n.paper_id, title=n.title, year=n.year, authors=n.authors, venue=n.venue, doi=n.doi,
                   arxiv_id=n.arxiv_id)
        notes[n.paper_id] = (f"New on the citegraph map on {day(news.taken_at)} (compared with {news.baseline}); "
                             f"relatedness {n.relatedness:.2f}" + (f"; {n.why}" if n.why else ""))
    return g, notes
