"""A small synthetic map shared by the render, export and browser tests (hostile text included)."""

import networkx as nx

HOSTILE = ["<img src=x onerror=alert(1)>", "</script><script>alert(2)</script>", "Q&A \u2028 <b>bold</b>"]


def synthetic_map():
    """Two SYNTH topics (quantization, attention); three papers carry hostile titles/authors."""
    g = nx.DiGraph()
    refs = {"quant": [f"rq{i}" for i in range(4)], "attn": [f"ra{i}" for i in range(4)]}
    n = 0
    for topic, word in (("quant", "quantization"), ("attn", "attention")):
        for i in range(7):
            pid = f"{topic}{i}"
            title = HOSTILE[n] if n < len(HOSTILE) else f"SYNTH {word} paper {i}"
            g.add_node(pid, title=title, year=2016 + i, citation_count=10 * i, venue="SYNTH venue",
                       authors=[f"SYNTH Author{i}", "<svg onload=alert(3)>"], is_seed=i == 0,
                       seed_section="SYNTH section" if i == 0 else None, abstract=f"About {word}. <i>x</i>",
                       doi=f"10.9999/synth.{pid}", influential_citation_count=i)
            n += 1
            for r in refs[topic][: 2 + i % 3]:
                g.add_edge(pid, r)
            if i > 0:
                g.add_edge(pid, f"{topic}0")
        for r in refs[topic]:
            g.add_node(r, title=f"SYNTH {word} reference {r}", year=2012, citation_count=100)
    return g, ["quant0", "attn0"]
