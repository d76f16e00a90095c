"""Which papers join the graph around the seeds: their neighbours, then the papers co-cited or coupled with them.

The expansion (:func:`graph.expansion.expand`) asks these in turn; everything they read comes from
the store, and only coupling may fetch (one page of citers per seed reference).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from .expansion import Expander

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


def second_degree(ex: "Expander", seed_ids: list[str], members: set[str], room: int | None) -> dict:
    """Add papers co-cited with the seeds and papers coupled with them.

    Co-cited: cited by at least ``min_evidence`` of the seeds' citers (their reference
    lists are stored by now, so finding them costs nothing). Coupled: citing at least
    ``min_evidence`` of the seeds' references (needs those references' citers: one
    page each). The strongest (co-citations + shared references) fill ``room``; their
    details and references cost ``limits.batches(M)`` requests.
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
    ranked = sorted(scores, key=lambda p: (-scores[p], p))
    return ranked if room is None else ranked[:max(0, room)]
