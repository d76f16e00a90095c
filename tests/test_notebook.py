"""The notebook runs top to bottom (nbclient) without network, so it never rots."""

import re

import nbformat
from nbclient import NotebookClient

from conftest import ROOT


def test_explore_notebook_runs(arxiv_dir, tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    # after the notebook, one more cell in the same kernel: the bars' colours against the map's
    check = nbformat.v4.new_code_cell(
        "from matplotlib.colors import to_hex\n"
        "from graph.render import map_data\n"
        "_map = {c['id']: c['colour'] for c in map_data(G, analysis, 'check')['clusters']}\n"
        "_ok = sum(all(to_hex(p.get_facecolor()) == _map.get(c) for p in container)\n"
        "          for container, c in zip(ax.containers, counts.columns))\n"
        "print(f'clusters whose bars wear their map colour: {_ok} of {len(counts.columns)}')")
    n = len(nb.cells)
    nb.cells.append(check)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(ROOT / "notebooks")}})
    client.execute()
    m = re.search(r"wear their map colour: (\d+) of (\d+)", "".join(o.get("text", "") for o in nb.cells[n].outputs))
    assert m and int(m.group(2)) >= 2 and m.group(1) == m.group(2)
    nb.cells.pop()
    outputs = {i: "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                          for o in cell.get("outputs", []))
               for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    text = "\n".join(outputs.values())
    assert "serving the arXiv CS 2023 graph" in text
    assert "17 of 28 seeds resolved" in text
    assert "modularity" in text and "IFrame" in text
    assert any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert all(o.get("output_type") != "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
