"""The notebook runs top to bottom (nbclient) without network, so it never rots."""


import nbformat
from nbclient import NotebookClient

from conftest import ROOT


def test_explore_notebook_runs(arxiv_dir, tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    outputs = {i: "".join(o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
                          for o in cell.get("outputs", []))
               for i, cell in enumerate(nb.cells) if cell.cell_type == "code"}
    text = "\n".join(outputs.values())
    assert "serving the arXiv CS 2023 graph" in text
    assert "17 of 28 seeds resolved" in text
    assert "modularity" in text and "IFrame" in text
    assert any("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert all(o.get("output_type") != "error" for c in nb.cells if c.cell_type == "code" for o in c.outputs)
