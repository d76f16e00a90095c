"""Which papers join the graph around the seeds: their neighbours, then the papers co-cited or coupled with them.

The expansion (:func:`graph.expansion.expand`) asks these in turn; everything they read comes from
the store, and only coupling may fetch (one page of citers per seed reference).

A reading list mixes topics (:mod:`graph.analysis.topics`), and ``--max-papers`` cuts the candidates.
Picked by their evidence counted over every seed, the neighbours of the foundations and of the
best-cited topic fill the room and the thinly evidenced topic is cut first. So when the seeds are
several topics (their sections; for plain ids, their groups by citations in the store only when
asked: ``ExpansionOptions.citation_topics``, since a wrong split costs single-subject lists), the room is
shared (:class:`TopicRoom`): each topic ranks the candidates by its own seeds' evidence, each seed
weighted by its inverse frequency among the candidates (a seed most candidates link to says little),
and the topics take turns in proportion to their shares (room a topic cannot fill goes to the others).
One topic is picked exactly as before, by evidence over every seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from .expansion import Expander
    from .expansion_model import ResolvedSeed

# citers of each seed reference read to find papers coupled with the seeds: one page over the API
COUPLING_CITERS = 1000
SECOND_DEGREE_SHARE = 5  # 1/5 of --max-papers is kept for the second-degree papers


def neighbours(store, ids: set[str], *, citing_too: bool = True) -> dict[str, int]:
    """Papers that ``ids`` cite (and, with ``citing_too``, papers citing them), each with
    how many of ``ids`` it is linked to."""
    score: dict[str, int] = {}
    for e in store.edges_touching(ids, direction="out"):
        if e.cited not in ids:
            score[e.cited] = score.get(e.cited, 0) + 1
    if citing_too:
        # citers as the listing gave them: citations known from other papers' reference lists
        # (fetched later, or by other runs) would make the neighbourhood depend on history
        for e in store.edges_touching(ids, direction="in", listed_only=True):
            if e.citing not in ids:
                score[e.citing] = score.get(e.citing, 0) + 1
    return score


def second_degree(ex: "Expander", seed_ids: list[str], members: set[str], room: int | None,
                  topics: "TopicRoom | None" = None) -> dict:
    """Add papers co-cited with the seeds and papers coupled with them.

    Co-cited: cited by at least ``min_evidence`` of the seeds' citers (their reference
    lists are stored by now, so finding them costs nothing). Coupled: citing at least
    ``min_evidence`` of the seeds' references (needs those references' citers: one
    page each). The strongest (co-citations + shared references) fill ``room`` (with several
    ``topics``, shared among them: :meth:`TopicRoom.pick_second_degree`); their details and
    references cost ``limits.batches(M)`` requests.
    """
    seeds = set(seed_ids)
    evidence: dict[str, int] = {}
    counts = {"co_cited": 0, "coupled": 0, "added": 0, "dropped_for_room": 0}
    if room is not None and room <= 0:
        ex._say("no room left under --max-papers for papers co-cited or coupled with the seeds")
        return {"chosen": [], **counts}
    if ex.opt.co_cited:
        citers = {e.citing for e in ex.store.edges_touching(seeds, direction="in", listed_only=True)} - seeds
        co = distinct_counts((e.citing, e.cited) for e in ex.store.edges_touching(citers, direction="out"))
        co = {p: c for p, c in co.items() if c >= ex.opt.min_evidence and p not in members}
        counts["co_cited"] = len(co)
        evidence.update(co)
    refs = sorted({e.cited for e in ex.store.edges_touching(seeds, direction="out")} - seeds)
    coupled = ex.opt.coupled
    if coupled is None:
        # on where listing citers is cheap; offline, wherever an earlier run listed them,
        # so that --offline rebuilds the graph that run built
        coupled = (ex.source.limits.cheap_citations if ex.source is not None
                   else bool(ex.store.get_list_states(refs, "citations")))
    if coupled:
        # at most one page of each reference's citers (one request each over an API)
        n = COUPLING_CITERS if ex.limits is None else min(COUPLING_CITERS, ex.limits.page_size)
        ex.fetch_citations(refs, limit=n, what="seed references (for coupling)", note_truncation=False)
        cp = distinct_counts((e.cited, e.citing)
                              for e in ex.store.edges_touching(refs, direction="in", listed_only=True))
        cp = {p: c for p, c in cp.items() if c >= ex.opt.min_evidence and p not in members and p not in seeds}
        counts["coupled"] = len(cp)
        for p, c in cp.items():
            evidence[p] = evidence.get(p, 0) + c
    if topics is not None and topics.several:
        chosen = topics.pick_second_degree(ex.store, evidence, room, refs if coupled else [],
                                           co_cited=ex.opt.co_cited)
    else:
        chosen = pick(evidence, room)
    counts["added"] = len(chosen)
    counts["dropped_for_room"] = len(evidence) - len(chosen)
    if counts["dropped_for_room"]:
        ex._say(f"{counts['dropped_for_room']} weaker co-cited or coupled papers left out: "
                  f"--max-papers {ex.opt.max_papers} reached")
    if chosen:
        ex.fetch_details(chosen, "papers co-cited or coupled with the seeds")
    return {"chosen": chosen, **counts}


def distinct_counts(pairs: Iterable[tuple[str, str]]) -> dict[str, int]:
    """For pairs (witness, paper): how many distinct witnesses each paper has."""
    seen: dict[str, set[str]] = {}
    for witness, paper in pairs:
        seen.setdefault(paper, set()).add(witness)
    return {p: len(w) for p, w in seen.items()}


def pick(scores: dict[str, int], room: int | None) -> list[str]:
    """The ``room`` best-scored papers (ties by id); all of them when ``room`` is None."""
    ranked = sorted(scores, key=lambda p: (-scores[p], p))
    return ranked if room is None else ranked[:max(0, room)]


# the inverse-frequency weight of a seed among the candidates is idf ** IDF_POWER (as the ranking's)
IDF_POWER = 0.5


def seed_edges(store, seeds: Sequence[str]) -> list[tuple[str, str]]:
    """The seeds' one-hop citations as (citing, cited), sorted: what each seed cites and its listed
    citers (as :func:`neighbours` reads them), citations between two seeds left out."""
    seed_set = set(seeds)
    edges = {(e.citing, e.cited) for e in store.edges_touching(seed_set, direction="out")
             if e.cited not in seed_set}
    edges |= {(e.citing, e.cited) for e in store.edges_touching(seed_set, direction="in", listed_only=True)
              if e.citing not in seed_set}
    return sorted(edges)


def seed_links(seeds: Sequence[str], edges: Iterable[tuple[str, str]]) -> dict[str, set[str]]:
    """Each seed's one-hop neighbours (the other end of each of its :func:`seed_edges`)."""
    links: dict[str, set[str]] = {s: set() for s in seeds}
    for citing, cited in edges:
        if citing in links:
            links[citing].add(cited)
        else:
            links[cited].add(citing)
    return links


def inverse_frequency(links: dict[str, set[str]], power: float | None = None) -> dict[str, float]:
    """Each seed's weight ``log((n + 1) / (d + 1)) ** power`` (``n`` candidates, ``d`` of them linked
    to the seed), scaled so the seeds' mean weight is 1: evidence through a seed that most candidates
    link to counts for less.

    >>> w = inverse_frequency({"common": {"a", "b", "c", "d"}, "rare": {"e"}})
    >>> w["rare"] > 1 > w["common"]
    True
    """
    power = IDF_POWER if power is None else power
    n = len(set().union(*links.values())) if links else 0
    raw = {s: math.log((n + 1) / (len(ls) + 1)) ** power for s, ls in links.items()}
    mean = sum(raw.values()) / len(raw) if raw else 0.0
    return {s: (v / mean if mean > 0 else 1.0) for s, v in raw.items()}


def share_room(ranked: dict, shares: dict, room: int | None) -> list[str]:
    """Papers from each topic's ranking (``ranked``: topic -> papers, best first), the topics taking
    turns so that each holds ``shares[topic]`` of what is taken; a paper two topics rank is taken
    once. A topic whose ranking runs out drops out and the others fill its room. Stops at ``room``.

    >>> share_room({"a": ["a1", "a2", "a3", "a4"], "b": ["b1"]}, {"a": 0.5, "b": 0.5}, 3)
    ['a1', 'b1', 'a2']
    """
    order = {t: i for i, t in enumerate(ranked)}
    taken = {t: 0 for t in ranked}
    at = {t: 0 for t in ranked}
    active = [t for t in ranked if ranked[t] and shares.get(t, 0) > 0]
    chosen: list[str] = []
    seen: set[str] = set()
    while active and (room is None or len(chosen) < room):
        # the topic furthest behind its share takes the next place (ties: the earlier topic)
        t = min(active, key=lambda t: ((taken[t] + 1) / shares[t], order[t]))
        papers, i = ranked[t], at[t]
        while i < len(papers) and papers[i] in seen:
            i += 1
        at[t] = i + 1
        if i >= len(papers):
            active.remove(t)
            continue
        chosen.append(papers[i])
        seen.add(papers[i])
        taken[t] += 1
    return chosen


def _ranking(scores: dict[str, float], raw: dict) -> list[str]:
    # rounded, so that the order of summation (the store's row order) cannot change the order
    return sorted(scores, key=lambda p: (-round(scores[p], 9), -raw.get(p, 0), p))


@dataclass(frozen=True)
class TopicRoom:
    """The seeds' topics as the expansion shares its room: ``topic_of`` (seed -> topic index),
    ``shares`` (topic index -> share of the room, summing to 1) and each seed's inverse-frequency
    ``weights`` among the one-hop candidates."""

    topic_of: dict
    shares: dict
    weights: dict
    links: dict  # each seed's one-hop neighbours (:func:`seed_links`)

    @property
    def several(self) -> bool:
        """Whether there are two topics or more (else the room is not shared)."""
        return len(self.shares) > 1

    def _by_topic(self, witnessed: Iterable[tuple[str, str]], candidates) -> dict:
        """``{topic: {paper: evidence}}`` from (seed, paper) pairs, each weighted by its seed."""
        out: dict = {t: {} for t in self.shares}
        for seed, paper in witnessed:
            if paper in candidates:
                scores = out[self.topic_of[seed]]
                scores[paper] = scores.get(paper, 0.0) + self.weights[seed]
        return out

    def pick(self, by_topic: dict, raw: dict, room: int | None) -> list[str]:
        """The room shared by the topics (each ranking its candidates by its own evidence, ties by
        ``raw``); places the topics cannot fill go to the rest of ``raw``'s candidates by ``raw``."""
        ranked = {t: _ranking(scores, raw) for t, scores in by_topic.items()}
        chosen = share_room(ranked, self.shares, room)
        if room is None or len(chosen) < room:
            taken = set(chosen)
            chosen += pick({p: s for p, s in raw.items() if p not in taken},
                           None if room is None else room - len(chosen))
        return chosen

    def pick_one_hop(self, raw: dict[str, int], room: int | None) -> list[str]:
        """The seeds' neighbours (``raw``: candidates and their counts over every seed) within ``room``."""
        pairs = ((s, p) for s in sorted(self.links) for p in sorted(self.links[s]))
        return self.pick(self._by_topic(pairs, raw), raw, room)

    def pick_second_degree(self, store, evidence: dict[str, int], room: int | None,
                           refs: Sequence[str], *, co_cited: bool = True) -> list[str]:
        """Papers co-cited with the seeds (cited by a seed's citer; when ``co_cited``) or coupled with
        them (citing a seed's reference; ``refs`` when coupling is on), each seed's witnesses
        weighted by it: the same kinds of evidence the pick over every seed counts."""
        seeds = set(self.topic_of)
        cites: dict[str, set[str]] = {}  # a seed's citer -> the seeds it cites
        for e in store.edges_touching(seeds, direction="in", listed_only=True):
            if e.citing not in seeds:
                cites.setdefault(e.citing, set()).add(e.cited)
        cited_by: dict[str, set[str]] = {}  # a seed's reference -> the seeds citing it
        for e in store.edges_touching(seeds, direction="out"):
            if e.cited not in seeds:
                cited_by.setdefault(e.cited, set()).add(e.citing)

        def pairs():
            # distinct (witness, paper) pairs, as distinct_counts counts them
            co = {(e.citing, e.cited) for e in store.edges_touching(cites, direction="out")} if co_cited else set()
            for citer, paper in sorted(co):
                for s in sorted(cites[citer]):
                    yield s, paper
            if refs:
                cp = {(e.cited, e.citing) for e in store.edges_touching(refs, direction="in", listed_only=True)}
                for ref, paper in sorted(cp):
                    for s in sorted(cited_by.get(ref, ())):
                        yield s, paper

        return self.pick(self._by_topic(pairs(), evidence), evidence, room)


def topic_room(store, resolved: Sequence["ResolvedSeed"], *, citation_topics: bool = False) -> TopicRoom | None:
    """The seeds' topics (:func:`graph.analysis.topics.seed_topics` over the seeds and their stored
    one-hop neighbours: sections when the seeds have them, else, with ``citation_topics``, groups by
    citations) and their shares of the room; ``None`` when the seeds are one topic (the room is then
    not shared)."""
    import networkx as nx

    from .analysis.topics import seed_topics, top_section

    seeds = list(dict.fromkeys(r.paper_id for r in resolved if r.paper_id))
    if len(seeds) < 2:
        return None
    if not citation_topics and not any(top_section(r.seed.section) for r in resolved if r.paper_id):
        return None
    edges = seed_edges(store, seeds)  # read once: the topics' graph and the seeds' links both come from them
    links = seed_links(seeds, edges)
    star = nx.DiGraph()
    info = {r.paper_id: r.seed for r in resolved if r.paper_id}
    for s in seeds:
        star.add_node(s, seed_section=info[s].section, seed_source=f"{info[s].source}:{info[s].line}")
    star.add_nodes_from(sorted({p for ls in links.values() for p in ls}))
    star.add_edges_from(edges)
    topics = seed_topics(star, seeds)
    if len(topics.topics) < 2:
        return None
    shares = topics.shares()
    names = [t.name for t in topics.topics]
    return TopicRoom(topic_of={s: names.index(t.name) for t in topics.topics for s in t.seeds},
                     shares={names.index(n): v for n, v in shares.items()},
                     weights=inverse_frequency(links), links=links)
