"""The source interface: every source implements PaperSource explicitly, expansion takes every
size, cap, cost and source-specific message from the source, and nothing outside the S2 modules
knows Semantic Scholar's numbers, syntax or wording."""

import ast
import re
import dataclasses
import string
from pathlib import Path

import networkx as nx
import pytest

import graph
from graph.sources.corpus_import import Corpus
from graph.sources.s2_import import import_s2
from graph.errors import Interrupted, PlanTooLongError
from graph.expansion import ExpansionOptions, expand
from graph.ids import PaperId, alias_key
from graph.seeds import read_seeds
from graph.sources.base import PaperSource, SourceLimits
from graph.sources.corpus import CorpusSource
from graph.sources.memory import GraphSource
from graph.sources.s2 import S2Source
from graph.store import Store

from conftest import fast_config

PACKAGE = Path(graph.__file__).parent
MEMBERS = {"name", "label", "limits", "invalid_ids", "requests", "retries", "rate_hint", "deadline_note", "seconds_for",
           "fetch_papers",
           "not_found", "match_title", "prefetch_citations", "iter_citations", "truncation_note", "interrupt",
           "resume", "default_store", "links", "annotate"}


@pytest.fixture
def every_source(tmp_path, synth_server):
    import gzip
    import json

    shard = tmp_path / "papers-0.jsonl.gz"
    with gzip.open(shard, "wt") as fh:
        fh.write(json.dumps({"corpusid": 1, "externalids": {"ArXiv": "2001.00001", "DOI": None}, "title": "One"}))
    with Corpus(tmp_path / "c.duckdb") as corpus:
        import_s2(corpus, [shard])
    with Corpus(tmp_path / "c.duckdb", read_only=True) as corpus, S2Source(fast_config(synth_server.url)) as s2:
        yield [s2, CorpusSource(corpus), GraphSource(nx.DiGraph([("a", "b")]))]


def test_the_protocol_names_every_member_expansion_uses():
    import ast

    declared = set(PaperSource.__annotations__) | {k for k in vars(PaperSource) if not k.startswith("_")}
    assert declared == MEMBERS
    # what expansion and the session really touch on a source (``self.source.X``, ``source.X``, ``src.X``)
    used = set()
    for module in ("expansion.py", "session.py", "pipeline.py", "sources/__init__.py"):
        tree = ast.parse((PACKAGE / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                owner = node.value
                name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
                if name in ("source", "src"):
                    used.add(node.attr)
    assert used and used <= declared, used - declared
    assert {"fetch_papers", "iter_citations", "limits", "interrupt", "default_store", "links"} <= used


def test_every_source_implements_the_protocol_explicitly(every_source):
    for src in every_source:
        assert isinstance(src, PaperSource), type(src).__name__
        assert isinstance(src.limits, SourceLimits) and src.limits.batch_size > 0 and src.limits.page_size > 0
        # defined by the class or the instance, not found by probing with a default
        missing = {m for m in MEMBERS if not (hasattr(type(src), m) or m in vars(src))}
        assert not missing, (type(src).__name__, missing)
        assert src.invalid_ids == set()
        assert isinstance(src.label, str) and src.label and isinstance(src.rate_hint, str)
        src.prefetch_citations([], 10)  # callable everywhere; a no-op where lists are requests
        # interrupted, a source refuses calls (no request, no query) until resumed
        src.interrupt()
        with pytest.raises(Interrupted, match="stopped on request"):
            src.fetch_papers([PaperId("arxiv", "2101.00001")], with_references=False)
        with pytest.raises(Interrupted):
            list(src.iter_citations("a", 10))
        src.resume()
        src.fetch_papers([PaperId("arxiv", "2101.00001")], with_references=False)  # answers again
    s2, corpus, memory = every_source
    assert s2.default_store().name.startswith("s2-127.0.0.1_") and corpus.default_store() is None \
        and memory.default_store() is None
    # each source fills a record's links: its own page where it has one, and the DOI and arXiv pages
    from graph.model import PaperRecord

    sha = "204e3073870fae3d05bcbc2f6a8e263d9b72e776"
    record = PaperRecord(sha, arxiv_id="1706.03762", doi="10.9999/synth")
    assert s2.links(record).page.endswith("/paper/" + sha)
    for local in (corpus, memory):
        links = local.links(record)
        assert links.page is None and links.arxiv == "https://arxiv.org/abs/1706.03762"
        assert links.doi == "https://doi.org/10.9999/synth"
    assert s2.links(PaperRecord("CorpusId:7")).landing_page() is None
    assert s2.requests == 1  # the one fetch after resume(); the refused calls sent nothing
    assert (s2.seconds_for(10), corpus.seconds_for(10), memory.seconds_for(10)) == (0.0, 0.0, 0.0)  # unpaced
    assert s2.limits.metered and not corpus.limits.metered and not memory.limits.metered


def test_an_object_missing_a_member_is_not_a_source():
    class NoLimits:
        name = label = rate_hint = "x"
        requests = 0
        invalid_ids: set = set()

        def fetch_papers(self, ids, *, with_references): ...
        def match_title(self, title): ...

    assert not isinstance(NoLimits(), PaperSource)


def test_s2_limits_give_the_s2_request_floor():
    lim = S2Source.limits
    assert (lim.batch_size, lim.page_size, lim.list_cap, lim.metered, lim.cheap_citations) == (500, 1000, 9999,
                                                                                               True, False)
    # ceil(N/500) + T + sum(max(1, ceil(C_i/1000))) + sum(ceil(M_j/500))
    assert lim.request_floor(501, 2, [0, 1000, 1001], [500, 501]) == 2 + 2 + (1 + 1 + 2) + (1 + 2)
    assert dataclasses.replace(lim, metered=False).request_floor(501, 2, [5], [5]) == 0


# -- expansion takes each declared limit from the source ----------------------------------------

def _star(n_citers: int = 5) -> nx.DiGraph:
    """s (arXiv 2001.00001, 5 citations) cites r; c1..c5 cite s."""
    g = nx.DiGraph([("s", "r")] + [(f"c{i}", "s") for i in range(1, n_citers + 1)])
    for n in g:
        g.nodes[n]["title"] = f"Synthetic paper {n}"
    g.nodes["s"].update(arxiv_id="2001.00001", citation_count=n_citers)
    return g


class Recording(GraphSource):
    """The in-memory source, noting the size of every batch it is asked for."""

    def __init__(self, graph: nx.DiGraph) -> None:
        super().__init__(graph)
        self.batches: list[int] = []

    def fetch_papers(self, ids, *, with_references):
        self.batches.append(len(ids))
        return super().fetch_papers(ids, with_references=with_references)


def _expand(source, **opts):
    with Store(":memory:") as store:
        return expand(read_seeds(["2001.00001"]).seeds, store, source,
                      ExpansionOptions(progress=False, **{"coupled": False, **opts}))


def test_batches_are_cut_at_the_sources_batch_size():
    wide = Recording(_star())
    _expand(wide)
    assert wide.batches == [1, 6]  # the seed, then its six neighbours in one batch

    class Narrow(Recording):
        limits = dataclasses.replace(GraphSource.limits, batch_size=4)

    narrow = Narrow(_star())
    res = _expand(narrow)
    assert narrow.batches == [1, 4, 2] and res.graph.number_of_nodes() == 7


def test_a_metered_source_gets_request_counts_from_its_page_and_batch_sizes():
    class Metered(GraphSource):
        limits = SourceLimits(batch_size=2, page_size=2, list_cap=None, metered=True, cheap_citations=False)

    res = _expand(Metered(_star()))
    # 1 batch for the seed, ceil(5/2) pages of citations, ceil(6/2) batches of neighbours
    assert res.request_floor == 1 + 3 + 3
    assert "list citations of 1 seeds (up to 1000 each): about 3 requests" in res.plan
    assert "fetch details and references of 6 depth-1 papers: 3 batch requests" in res.plan
    local = _expand(GraphSource(_star()))
    assert local.request_floor == 0
    assert "list citations of 1 seeds (up to 1000 each) from the in-memory graph" in local.plan


def test_a_citation_list_stops_at_the_sources_cap_with_its_own_note():
    class Capped(GraphSource):
        limits = dataclasses.replace(GraphSource.limits, list_cap=3)

        def truncation_note(self, listed, total):
            return f"this graph lists {listed} of {total}"

    res = _expand(Capped(_star()))
    assert {"c1", "c2", "c3"} <= set(res.graph) and not {"c4", "c5"} & set(res.graph)
    assert {"paper_id": "s", "list": "citations", "reason": "this graph lists 3 of 5"} in res.truncated
    uncapped = _expand(GraphSource(_star()))
    assert {"c4", "c5"} <= set(uncapped.graph) and uncapped.truncated == []


def test_coupling_is_on_by_default_only_where_the_source_lists_citers_cheaply():
    g = nx.DiGraph([("s", "r1"), ("s", "r2"), ("z", "r1"), ("z", "r2")])
    g.nodes["s"].update(title="Synthetic seed", arxiv_id="2001.00001")

    class Dear(GraphSource):
        limits = dataclasses.replace(GraphSource.limits, cheap_citations=False)

    assert "z" in _expand(GraphSource(g), coupled=None).graph
    assert "z" not in _expand(Dear(g), coupled=None).graph


def test_too_long_a_plan_names_the_sources_rate_hint():
    class Slow(GraphSource):
        limits = dataclasses.replace(GraphSource.limits, metered=True)
        rate_hint = "ask for a faster graph"

        def seconds_for(self, n_requests):
            return 100.0 * n_requests

    with pytest.raises(PlanTooLongError, match=r"--depth, or ask for a faster graph\. Nothing was requested"):
        _expand(Slow(_star()), max_plan_seconds=10)


def test_misses_and_broken_answers_are_worded_by_the_source():
    class Broken(GraphSource):
        def fetch_papers(self, ids, *, with_references):
            got = super().fetch_papers(ids, with_references=with_references)
            self.invalid_ids.update(i for i in ids if not isinstance(i, str) and i.value == "2001.00002")
            return [None if not isinstance(i, str) and i.value == "2001.00002" else g for i, g in zip(ids, got)]

    seeds = read_seeds(["2001.00001", "2001.00002", "2001.09999"]).seeds
    with Store(":memory:") as store:
        res = expand(seeds, store, Broken(_star()), ExpansionOptions(progress=False))
        reasons = [r.reason for r in res.seeds]
        assert reasons[0] is None
        assert reasons[1] == "the answer for it was not a valid paper; run again later"
        assert reasons[2] == "the in-memory graph does not know arxiv:2001.09999"
        # a miss is remembered under the seed's alias key; a broken answer is not
        assert store.get_alias(alias_key(seeds[2].pid)) == (None, reasons[2])
        assert store.get_alias(alias_key(seeds[1].pid)) is None


# -- no Semantic Scholar specifics outside the S2 modules ----------------------------------------

# S2's request-ID syntax, its JSON field names, its wording and its key variable; its list cap
S2_TEXT = ("batch lookup returned null", "ARXIV", "DOI:", "CorpusId:", "paperId", "externalIds",
           "citedPaper", "citingPaper", "/graph/v1/")
# S2's name, found whatever its case ("semantic scholar" in a message is as specific as "Semantic Scholar")
S2_WORDS = ("semanticscholar", "semantic scholar")
S2_NUMBERS = {9999, 10_000}
# its environment variables (S2_API_URL, S2_RATE...): read by the S2 modules only, named only there
S2_ENV_NAME = re.compile(r"(?<![A-Za-z0-9])S2_[A-Z]")
# the id forms other sources and seed reading share with S2 (a corpus's papers are CorpusId:N, a user
# pastes semanticscholar.org links): the one S2 module any module may import from
S2_SHARED_IDS = "s2_ids"


def is_s2_module(name: str) -> bool:
    """The convention: a module whose stem is ``s2`` or starts with ``s2_`` is an S2 module and may hold
    Semantic Scholar specifics (``sources/s2_http.py``, ``cli/s2_imports.py``, ``testing/s2_server.py``...).

    >>> is_s2_module("graph.sources.s2_records"), is_s2_module("s2"), is_s2_module("news_s2")
    (True, True, False)
    """
    stem = name.replace("/", ".").removesuffix(".py").split(".")[-1]
    return stem == "s2" or stem.startswith("s2_")


def is_s2_name(name: str) -> bool:
    """A name S2 code gives its functions and classes: ``S2Source``, ``S2_RATE``, ``check_s2_paper``.

    >>> is_s2_name("S2Source"), is_s2_name("s2_records"), is_s2_name("PS2X"), is_s2_name("S2s")
    (True, True, False, False)
    """
    return "s2" in name.lower().split("_") or name[:3] in ("S2" + c for c in string.ascii_uppercase + "_")


def s2_specifics(source: str, *, facade: bool = False) -> list[str]:
    """What in ``source``'s code (not its comments or docstrings) is Semantic Scholar-specific:
    S2 strings and numbers, ``.s2`` attributes, functions or classes named for S2 and their use (an
    S2 name imported through a package, ``from .sources import S2Source``, is as specific as one
    imported from its module), getattr probing of a source, and imports of S2 modules (but for
    :data:`S2_SHARED_IDS`). A package's ``__init__`` (a ``facade``) may import from S2 modules and
    use what it imports: that is how a package lists what it exports and picks its default source."""
    tree = ast.parse(source)
    docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                  if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    found = []
    for node in ast.walk(tree):
        where = f"line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and id(node) not in docstrings:
            if isinstance(node.value, str):
                found += [f"{where}: {t!r}" for t in S2_TEXT if t in node.value]
                found += [f"{where}: {t!r}" for t in S2_WORDS if t in node.value.lower()]
                found += [f"{where}: names {m.group()}..." for m in S2_ENV_NAME.finditer(node.value)]
            elif isinstance(node.value, int) and not isinstance(node.value, bool) and node.value in S2_NUMBERS:
                found.append(f"{where}: {node.value}")
        elif isinstance(node, ast.Attribute) and node.attr == "s2":
            found.append(f"{where}: .s2")
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and is_s2_name(node.name):
            found.append(f"{where}: defines {node.name}")
        elif (isinstance(node, ast.Name) and is_s2_name(node.id) and not facade
              and node.id != S2_SHARED_IDS):
            found.append(f"{where}: uses {node.id}")
        elif (isinstance(node, ast.Attribute) and is_s2_name(node.attr) and not facade):
            found.append(f"{where}: uses .{node.attr}")
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not facade:
            # `from .sources.s2 import X`, `from .sources import s2_records`, `import graph.sources.s2`
            module = getattr(node, "module", None) or ""
            named = [module] if isinstance(node, ast.ImportFrom) and module else []
            named += [a.name if isinstance(node, ast.Import) else f"{module}.{a.name}" for a in node.names]
            hits = [m for m in named if any(is_s2_module(part) and part != S2_SHARED_IDS for part in m.split("."))]
            names = {a.name for a in node.names}
            if hits:
                found.append(f"{where}: imports {sorted(names)} from an S2 module ({hits[0]})")
            elif s2_names := sorted(n for n in names if is_s2_name(n) and n != S2_SHARED_IDS):
                found.append(f"{where}: imports {s2_names}, named for S2")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and "source" in ast.unparse(node.args[0])):
            found.append(f"{where}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("snippet", [
    "key = seed.pid.s2.lower()",
    "LIST_CAP = 9999",
    "batch = getattr(self.source, 'batch_limit', BATCH)",
    "from .sources.s2 import S2Source",
    "from .sources import s2",
    "from .sources.s2_http import S2HttpRequester",
    "from ..sources import s2_records",
    "import graph.sources.s2",
    "url = 'https://www.semanticscholar.org/paper/' + pid",
    "hint = f'or set S2_API_KEY for a higher rate ({n} requests)'",
    "def f(n):\n    return f'CorpusId:{n}'",
    "def check_s2_paper(data):\n    return data",
    "class S2Thing:\n    pass",
    "pid = data.get('paperId')",
    "if kind.upper() == 'ARXIV':\n    pass",
    # an S2 name reached through a package's re-export, or used without an import of its own
    "from .sources import S2Source",
    "import graph.sources as sources\nsource = sources.S2Source()",
    "source = S2Source.from_settings()",
    "rate = S2_RATE",
    # an S2 environment variable, read or named
    "f = click.option('--rate', envvar='S2_RATE')(f)",
    "url = os.environ.get('S2_API_URL')",
    "help = 'Base URL of the paper API (env S2_API_URL)'",
    "raise SystemExit('cannot reach semantic scholar')",
    "cited = row['citedPaper']",
    "url = base + '/graph/v1/paper/batch'",
])
def test_the_check_finds_s2_specifics(snippet):
    assert s2_specifics(snippet)


def test_the_check_ignores_prose_and_the_shared_id_forms():
    assert s2_specifics('"""Works over Semantic Scholar (ARXIV:x)."""\n# LIST_CAP = 9999\nx = 1') == []
    assert s2_specifics("from ..s2_ids import corpus_paper_id\nfrom graph import s2_ids") == []
    assert s2_specifics("from .sources.s2 import S2Source", facade=True) == []
    assert s2_specifics("from .sources.s2 import S2Source\nx = 'CorpusId:'", facade=True)  # only imports
    # the picker of a package's default source names it
    assert s2_specifics("from .s2 import S2Source\nsource = S2Source.from_settings()", facade=True) == []
    # names that merely contain the letters
    assert s2_specifics("ps2 = 1\nS2s = ps2\nx.mS2Y = 'Arxiv doi:'") == []
    assert s2_specifics("x = 'PS2_Y, s2_z, S2s'") == []


MODULES = sorted(str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if not is_s2_module(p.stem))


def test_the_scan_covers_the_whole_package():
    assert {"expansion.py", "store.py", "session.py", "pipeline.py", "cli/maps.py", "analysis/summary.py",
            "ids.py", "sources/__init__.py", "sources/corpus.py", "sources/corpus_import.py",
            "cli/imports.py", "prepare/inputs.py", "prepare/job.py", "cli/prepare.py"} <= set(MODULES)
    assert {"s2.py", "s2_ids.py", "s2_server.py", "s2_import.py", "s2_imports.py"} <= {
        p.name for p in PACKAGE.rglob("*.py")} - {m.split("/")[-1] for m in MODULES}


@pytest.mark.parametrize("module", MODULES)
def test_no_semantic_scholar_specifics_outside_the_s2_modules(module):
    source = (PACKAGE / module).read_text(encoding="utf-8")
    assert s2_specifics(source, facade=module.endswith("__init__.py")) == []


def test_the_year_hint_picks_among_graph_papers_of_the_same_title():
    g = nx.DiGraph()
    g.add_node("a", title="SYNTH shared title", year=2019)
    g.add_node("b", title="SYNTH Shared Title.", year=2017)
    src = GraphSource(g)
    assert src.match_title("synth shared title").paper_id == "a"  # the first, without a hint
    assert src.match_title("synth shared title", 2017).paper_id == "b"
    assert src.match_title("synth shared title", 2005).paper_id == "a"
    assert src.match_title("SYNTH other title", 2017) is None



def test_a_reading_list_with_one_title_of_two_years_seeds_both_papers(tmp_path):
    g = nx.DiGraph([("c", "a"), ("c", "b")])
    g.add_node("a", title="SYNTH shared title", year=2019)
    g.add_node("b", title="SYNTH Shared Title.", year=2017)
    g.add_node("c", title="SYNTH citer", year=2020)
    f = tmp_path / "same.md"
    f.write_text("# SYNTH\n\n## A\n\n1. **SYNTH shared title** (2019)\n2. **SYNTH shared title** (2017)\n",
                 encoding="utf-8")
    with Store(":memory:") as store:
        res = expand(read_seeds([str(f)]).seeds, store, GraphSource(g), ExpansionOptions(progress=False))
    assert [r.paper_id for r in res.seeds] == ["a", "b"]
    assert set(res.graph.graph["seeds"]) == {"a", "b"}

# -- the sources package's helpers are public where other modules use them ---------------------------------

def _imports_from(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, absolute module, names) of every ``from X import names`` in ``path``, relative ones resolved."""
    package = ["graph", *path.relative_to(PACKAGE).parent.parts]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            out.append((node.lineno, module, [a.name for a in node.names]))
    return out


def test_no_module_imports_a_private_name_of_the_sources_package():
    found = [f"{path.relative_to(PACKAGE)}:{line}: {name} from {module}"
             for path in PACKAGE.rglob("*.py") for line, module, names in _imports_from(path)
             if module.startswith("graph.sources") for name in names
             if name.startswith("_") and not name.startswith("__")]
    assert found == []


def test_the_csv_column_choice_has_one_home():
    # both CSV readers (`import csv` into DuckDB, `prepare csv` on Spark) call choose_csv_columns
    homes = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if "is not a column of the paper files" in p.read_text(encoding="utf-8")
             or "CSV_COLUMN_NAMES" in p.read_text(encoding="utf-8")}
    assert homes == {"sources/csv_columns.py"}
    users = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if any("choose_csv_columns" in names for _, _, names in _imports_from(p))}
    assert users == {"sources/csv_import.py", "prepare/inputs.py"}


def test_csv_columns_are_the_ones_named_else_the_ones_recognised():
    from graph.errors import CitegraphError
    from graph.sources.csv_columns import choose_csv_columns

    header = ["Paper_ID", "Title", "name", "arxiv", "DOI", "when"]
    got = choose_csv_columns(header)
    assert got == ("Title", "Paper_ID", None, "DOI", "arxiv")
    assert got.named() == {"title": "Title", "id": "Paper_ID", "doi": "DOI", "arxiv": "arxiv"}
    assert choose_csv_columns(header, title_column="name", year_column="when").named() == {
        "title": "name", "id": "Paper_ID", "year": "when", "doi": "DOI", "arxiv": "arxiv"}
    with pytest.raises(CitegraphError, match="no title column among .*name it with --title-column"):
        choose_csv_columns(["ids", "name"])
    with pytest.raises(CitegraphError, match="--year-column 'nope' is not a column of the paper files"):
        choose_csv_columns(header, year_column="nope")
