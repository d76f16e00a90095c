"""Topics of a seed set: which seeds belong together, and which are foundations.

A reading list is rarely one subject. Its topics come, in order of preference, from

* **sections**: the reading list's own headings (a markdown list's top-level
  heading under its common title, so "三、模型压缩与量化 / 量化技术" and
  "三、模型压缩与量化 / 剪枝与蒸馏" are one topic: the sub-headings of a list hold
  one to three papers each, too few to carry evidence of their own), or a
  BibTeX entry's ``groups``/``keywords`` (read into the seed's section);
* **citations**, when the seeds carry no sections: seeds are grouped by the
  community of the citation graph they fall in (Leiden, modularity at
  :data:`CLUSTER_RESOLUTION`), so a plain list of identifiers on two subjects is
  two topics (when the list has at least :data:`MIN_SEEDS_TO_SPLIT` seeds and at
  least two communities hold two seeds or more; otherwise the seeds are one topic). (Grouping the seeds by the cosine of their one-seed random walks
  found the reviews behind mixed lists less well: adjusted Rand 0.28 against
  0.39 on the tuning lists of ``benchmarks/quality.py --mixed``.)

A **foundation** is a seed most of the graph builds on: cited by at least
:data:`FOUNDATION_SHARE` of the graph's papers, or any seed of a markdown reading
list's first section when it has three or more (lists open with their foundations). Evidence through a
seed that everybody cites says little about a paper, the way a word in every
document says little about it: each seed carries an inverse-frequency weight
(:func:`seed_weights`), and a foundations topic gets a smaller share of the
related list (:data:`FOUNDATION_SHARE_FACTOR`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Hashable, Sequence

import networkx as nx
import numpy as np

from ..text import display_title

# a seed cited by this share of the graph's papers is a foundation (chosen on the tuning lists of
# benchmarks/quality.py --mixed, samples 2 and 3)
FOUNDATION_SHARE = 0.10
# a foundations topic's share of the related list, relative to its share of the seeds
FOUNDATION_SHARE_FACTOR = 0.5
# the resolution of the graph's communities that group plain seeds (lower: fewer, larger groups)
CLUSTER_RESOLUTION = 0.5
# a plain list of fewer seeds is one topic: too few to tell subjects apart by their citations (split,
# the single-review lists of 3 and 5 seeds of benchmarks/quality.py lost 0.006 recall@50)
MIN_SEEDS_TO_SPLIT = 8
# the inverse-frequency weight is idf ** IDF_POWER (0: every seed counts the same)
IDF_POWER = 0.5
FOUNDATIONS_NAME = "foundations"
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")


@dataclass(frozen=True)
class Topic:
    """One topic of a seed set: its ``name`` (a section's heading, or its seeds in words), its
    ``seeds`` in reading order, and whether it is the list's ``foundation``."""

    name: str
    seeds: tuple
    foundation: bool = False


@dataclass(frozen=True)
class SeedTopics:
    """The topics of a seed set, where they came from (``"sections"``, ``"citations"`` or
    ``"single"``), and each seed's inverse-frequency ``weights``."""

    topics: tuple
    origin: str
    weights: dict = field(default_factory=dict)

    def topic_of(self) -> dict:
        """``{seed: topic name}``.

        >>> SeedTopics((Topic("a", ("s1", "s2")), Topic("b", ("s3",))), "sections").topic_of()["s3"]
        'b'
        """
        return {s: t.name for t in self.topics for s in t.seeds}

    def shares(self) -> dict:
        """Each topic's share of a ranked list: proportional to its seeds, a foundations topic's
        multiplied by :data:`FOUNDATION_SHARE_FACTOR` (unless every topic is one); sums to 1.

        >>> t = SeedTopics((Topic("f", ("a", "b"), True), Topic("x", ("c", "d"))), "sections")
        >>> t.shares()
        {'f': 0.3333333333333333, 'x': 0.6666666666666666}
        """
        everyone = all(t.foundation for t in self.topics)
        raw = {t.name: len(t.seeds) * (FOUNDATION_SHARE_FACTOR if t.foundation and not everyone else 1.0)
               for t in self.topics}
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items()}


def top_section(section: str | None) -> str:
    """The top-level heading of a seed's section path (``"A / B"`` -> ``"A"``).

    >>> top_section("三、模型压缩与量化 / 量化技术"), top_section(None)
    ('三、模型压缩与量化', '')
    """
    return (section or "").split(" / ")[0].strip()


def seed_weights(G: nx.DiGraph, seeds: Sequence, power: float = IDF_POWER) -> dict:
    """Each seed's inverse-frequency weight ``log((n + 1) / (c + 1)) ** power`` (``n`` papers in
    the graph, ``c`` of them cite the seed), scaled so the seeds' mean weight is 1.

    >>> G = nx.DiGraph([(f"p{i}", "common") for i in range(9)] + [("p0", "rare")])
    >>> w = seed_weights(G, ["common", "rare"])
    >>> w["rare"] > 1 > w["common"]
    True
    """
    n = G.number_of_nodes()
    raw = {s: np.log((n + 1) / (G.in_degree(s) + 1)) ** power for s in seeds}
    mean = float(np.mean(list(raw.values()))) if raw else 0.0
    if mean <= 0:
        return {s: 1.0 for s in seeds}
    return {s: float(v) / mean for s, v in raw.items()}


def is_foundation_seed(G: nx.DiGraph, seed: Hashable) -> bool:
    """Whether at least :data:`FOUNDATION_SHARE` of the graph's papers cite ``seed``."""
    n = G.number_of_nodes()
    return n > 0 and G.in_degree(seed) >= FOUNDATION_SHARE * n and G.in_degree(seed) >= 3


def _from_markdown(G: nx.DiGraph, seed: Hashable) -> bool:
    where = str(G.nodes[seed].get("seed_source") or "").rsplit(":", 1)[0]
    return PurePath(where).suffix.lower() in MARKDOWN_SUFFIXES


def _cluster_name(G: nx.DiGraph, seeds: Sequence) -> str:
    # the seed most cited inside the graph names its group; people read titles
    lead = max(seeds, key=lambda s: (G.in_degree(s), -list(seeds).index(s)))
    title = display_title(G.nodes[lead].get("title")) or str(lead)
    title = title if len(title) <= 60 else title[:57].rstrip() + "…"
    more = len(seeds) - 1
    return f"“{title}”" + (f" and {more} more" if more else "")


def citation_groups(G: nx.DiGraph, seeds: Sequence, resolution: float = CLUSTER_RESOLUTION) -> list[list]:
    """Seeds grouped by citation evidence: the Leiden communities (modularity at ``resolution``,
    fixed seed) of the whole graph over citations taken both ways, so two seeds are together when
    their neighbourhoods are one community; groups in the order of their first seed.

    >>> G = nx.DiGraph([("x1", "a"), ("x1", "b"), ("x2", "a"), ("x2", "b"),
    ...                 ("y1", "c"), ("y1", "d"), ("y2", "c"), ("y2", "d")])
    >>> citation_groups(G, ["a", "c", "b", "d"])
    [['a', 'b'], ['c', 'd']]
    """
    seeds = list(seeds)
    if len(seeds) < 2:
        return [seeds] if seeds else []
    from .clusters import detect_clusters

    membership = detect_clusters(G.to_undirected(as_view=True), resolution=resolution, seed=0,
                                 min_size=1).membership
    groups: dict[int, list] = {}
    for s in seeds:
        groups.setdefault(membership[s], []).append(s)
    return list(groups.values())


def seed_topics(G: nx.DiGraph, seeds: Sequence, *, sections: dict | None = None,
                resolution: float = CLUSTER_RESOLUTION, min_seeds_to_split: int = MIN_SEEDS_TO_SPLIT) -> SeedTopics:
    """The topics of ``seeds`` in ``G``: the seeds' top-level sections (``sections``, else each
    seed node's ``seed_section``) when any seed has one, else groups by citation evidence.

    Without sections, fewer than ``min_seeds_to_split`` seeds are one topic.
    Seeds without a section join a topic ``other seeds``. In a markdown reading list of three
    or more sections the first is the list's foundations; without sections, seeds cited by at least
    :data:`FOUNDATION_SHARE` of the graph form a foundations topic of their own.

    >>> G = nx.DiGraph([("c", "a"), ("c", "b")])
    >>> seed_topics(G, ["a", "b"], sections={"a": "Intro / Basics", "b": "Systems"}).topic_of()
    {'a': 'Intro', 'b': 'Systems'}
    """
    seeds = [s for s in dict.fromkeys(seeds) if s in G]
    weights = seed_weights(G, seeds)
    named = {s: top_section(sections.get(s) if sections is not None else G.nodes[s].get("seed_section"))
             for s in seeds}
    if any(named.values()):
        by_name: dict[str, list] = {}
        for s in seeds:
            by_name.setdefault(named[s] or "other seeds", []).append(s)
        first = next(iter(by_name)) if by_name else None
        # a list of three or more sections opens with its foundations; of two, both are subjects
        markdown = len(by_name) >= 3 and all(_from_markdown(G, s) for s in by_name[first])
        topics = tuple(Topic(name, tuple(ss), foundation=markdown and name == first)
                       for name, ss in by_name.items())
        return SeedTopics(topics, "sections", weights)
    if len(seeds) < min_seeds_to_split:
        return SeedTopics((Topic(_cluster_name(G, seeds), tuple(seeds)),) if seeds else (), "single", weights)
    foundations = [s for s in seeds if is_foundation_seed(G, s)]
    rest = [s for s in seeds if s not in foundations]
    if not rest:  # every seed is cited by much of the graph: then none stands out
        rest, foundations = seeds, []
    groups = citation_groups(G, rest, resolution=resolution)
    if sum(len(g) >= 2 for g in groups) < 2:
        # a subject needs two seeds to show in the citations: seeds that split into at most one
        # group of two or more and strays (two seeds of a small graph, say) are one topic
        groups = [rest]
    topics = [Topic(_cluster_name(G, g), tuple(g)) for g in groups]
    if foundations:
        topics.append(Topic(FOUNDATIONS_NAME, tuple(foundations), foundation=True))
    origin = "citations" if len(topics) > 1 else "single"
    return SeedTopics(tuple(topics), origin, weights)
