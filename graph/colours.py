"""The map's colours, in one place: the HTML map, the notebook's plots and anything else that
draws clusters, years or seeds use these, so a cluster has one colour everywhere.

No third-party import: the CLI and the renderer load this cheaply.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from typing import Iterable

# Categorical, for topic clusters (Tableau 10 and extras): mid-tone hues, none near black,
# so the seed mark below stands out on every one of them. Cluster -1 ("other") is grey.
CLUSTER_PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                   "#9c755f", "#17becf", "#bcbd22", "#8c564b", "#1f77b4", "#2ca02c", "#d62728", "#9467bd"]
OTHER_CLUSTER = "#bdbdbd"
NO_YEAR = "#d9d9d9"
# The seed mark: a thick near-black ring, unlike any cluster or year colour (those stay mid-tone or light).
SEED_MARK = "#111111"

# viridis (perceptually uniform, readable in grey and by most colour-blind readers), from its light end
# (old papers) to a mid-dark blue (recent ones); its darkest purples are left out so the seed ring shows.
YEAR_RAMP = ["#fde725", "#b5de2b", "#6ece58", "#35b779", "#1f9e89", "#26828e", "#31688e"]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def ramp(t: float, stops: list[str] = YEAR_RAMP) -> str:
    """The colour at ``t`` in [0, 1] along ``stops`` (linear between neighbouring stops).

    >>> ramp(0.0), ramp(1.0)
    ('#fde725', '#31688e')
    """
    t = min(1.0, max(0.0, t))
    x = t * (len(stops) - 1)
    i = min(int(x), len(stops) - 2)
    f = x - i
    a, b = _rgb(stops[i]), _rgb(stops[i + 1])
    return "#" + "".join(f"{round(u + (v - u) * f):02x}" for u, v in zip(a, b))


def year_colours(years: Iterable[int | None]) -> dict[int, str]:
    """A colour per year, spread over the years' quantiles rather than their range.

    Most papers of a map are from a few recent years; colouring by quantile gives each
    part of the distribution its own shade instead of painting nearly all of it alike.

    >>> c = year_colours([2000, 2020, 2021, 2021, 2022, 2023])
    >>> c[2000], c[2023]
    ('#fde725', '#31688e')
    >>> len(set(c.values())) == 5
    True
    """
    ys = sorted(y for y in years if y is not None)
    if not ys:
        return {}
    distinct = sorted(set(ys))
    # mid-rank empirical CDF of each year, stretched to [0, 1]
    q = {y: (bisect_left(ys, y) + bisect_right(ys, y)) / (2 * len(ys)) for y in distinct}
    lo, hi = q[distinct[0]], q[distinct[-1]]
    return {y: ramp(0.0 if hi == lo else (q[y] - lo) / (hi - lo)) for y in distinct}


def cluster_colour(cluster: int | None) -> str:
    """The colour of topic cluster ``cluster`` (grey for none or -1, "other").

    >>> cluster_colour(0), cluster_colour(-1)
    ('#4e79a7', '#bdbdbd')
    """
    if cluster is None or cluster != cluster or cluster < 0:
        return OTHER_CLUSTER
    return CLUSTER_PALETTE[int(cluster) % len(CLUSTER_PALETTE)]
