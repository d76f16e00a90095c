"""Round seven's red-team findings on the seed readers: quadratic regexes, deeply nested JSON, bare
identifiers in reading-list items, oversized skipped lines, text that is not UTF-8, and ``-`` as a seed.

All inputs are small and visibly synthetic (SYNTH titles, the 2101.0000x ids of the local test server)."""

import json
import re
import sqlite3
import sys

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from graph.cli import cli
from graph.ids import PaperId
from graph import seed_list
from graph.seed_list import SeedProblem
from graph.seeds import parse_identifier_list, parse_markdown_reading_list, read_seeds
from graph import seeds_markdown, seeds_text

from zotero_data import synth_library

if sys.version_info >= (3, 11):
    import re._parser as sre_parse
    from re._constants import MAXREPEAT, MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT, BRANCH, SUBPATTERN
else:  # pragma: no cover - the project's floor is 3.11
    import sre_parse
    from sre_constants import MAXREPEAT, MAX_REPEAT, MIN_REPEAT, BRANCH, SUBPATTERN
    POSSESSIVE_REPEAT = MAX_REPEAT


def _unbounded_repeats(pattern: re.Pattern) -> list[str]:
    """The repeats of ``pattern`` with no upper bound (``*``, ``+``, ``{n,}``), by a walk of the parsed
    regex: a pattern without any scans a bounded stretch from each start, so a search is linear."""
    found = []

    def walk(items):
        for op, av in items:
            if op in (MAX_REPEAT, MIN_REPEAT, POSSESSIVE_REPEAT):
                lo, hi, sub = av
                if hi == MAXREPEAT:
                    found.append(str(sub))
                walk(sub)
            elif op is BRANCH:
                for alt in av[1]:
                    walk(alt)
            elif op is SUBPATTERN:
                walk(av[-1])

    walk(sre_parse.parse(pattern.pattern, pattern.flags))
    return found


# --- 1. the markdown year-note regex, and others of that shape -----------------------------------------

def test_the_unbounded_repeat_finder_finds_the_old_note_pattern_shape():
    old = re.compile(r"\(\s*(?:(?P<year>(?:19|20)\d{2})|[^)]*(?:paper|report)[^)]*)\s*\)")
    assert len(_unbounded_repeats(old)) == 4  # \s*, [^)]*, [^)]*, \s*
    assert _unbounded_repeats(re.compile(r"\(([^()]{0,200})\)")) == []


def test_a_paper_note_is_found_by_patterns_without_unbounded_repeats():
    # the old "[^)]*" ran from every "(" to the end of the line: 40 KB of "(" took half a minute
    for name in ("_PARENTHETICAL", "_NOTE_YEAR", "_NOTE_WORDS"):
        assert _unbounded_repeats(getattr(seeds_markdown, name)) == [], name


def test_a_trailing_comment_is_found_without_an_unbounded_repeat():
    # "\s+#" rescanned a run of spaces from each of its spaces: a line of 40,000 spaces took seconds
    assert _unbounded_repeats(seeds_text._TRAILING_COMMENT) == []
    sl = parse_identifier_list("2101.00000   # SYNTH note\n" + " " * 2000 + "x\n", "s.txt")
    assert [s.pid for s in sl.seeds] == [PaperId("arxiv", "2101.00000")]


@pytest.mark.parametrize("junk", ["(" * 4000, "[a](" * 3000, "(paper " * 300, "(" + "x" * 300 + " paper)"])
def test_a_line_of_parentheses_is_no_note_and_the_paper_is_kept(junk):
    text = f"# H\n\n1. **SYNTH paper 0** https://arxiv.org/abs/2101.00000 {junk}\n"
    sl = parse_markdown_reading_list(text, "p.md")
    assert [s.pid for s in sl.seeds] == [PaperId("arxiv", "2101.00000")]
    assert sl.seeds[0].year_hint is None


def test_year_and_kind_notes_read_as_before():
    assert seeds_markdown.paper_note(" (2017) ⭐⭐") == (True, 2017)
    assert seeds_markdown.paper_note(" ( 2019 )") == (True, 2019)
    assert seeds_markdown.paper_note(" (White Paper)") == (True, None)
    assert seeds_markdown.paper_note(" (technical report, v2)") == (True, None)
    assert seeds_markdown.paper_note(" (2017, NeurIPS)") == (False, None)
    assert seeds_markdown.paper_note(" (see the blog) (2020)") == (True, 2020)


@given(st.text(alphabet="()[]a *\n2017paper", max_size=60))
def test_a_note_is_found_exactly_when_a_parenthetical_is_a_year_or_names_a_paper_kind(rest):
    found, year = seeds_markdown.paper_note(rest)
    bodies = [b.strip() for b in re.findall(r"\(([^()]*)\)", rest)]
    expect = next(((True, int(b)) if re.fullmatch(r"(19|20)\d\d", b) else (True, None) for b in bodies
                   if re.fullmatch(r"(19|20)\d\d", b) or "paper" in b.lower()), (False, None))
    assert (found, year) == expect


def test_an_item_whose_first_paragraph_runs_over_two_lines_is_read():
    # the title pattern ended ".*$" without DOTALL: a paragraph of two lines never matched (the item was
    # dropped) after rescanning the first line from every "**" on it (quadratic)
    text = "# H\n\n1. **SYNTH paper 0** (2021) " + "** " * 50 + "\n   arXiv:2101.00000 continued\n"
    sl = parse_markdown_reading_list(text, "two.md")
    assert [(s.pid, s.title, s.year_hint) for s in sl.seeds] == [(PaperId("arxiv", "2101.00000"), "SYNTH paper 0",
                                                                  2021)]


def test_the_reader_runs_no_inline_link_parsing(monkeypatch):
    # markdown-it's inline rules (unused: the reader takes each paragraph's raw text) spent 69 s on a line
    # of 30,000 nested "[a](": the reader parses the block structure alone
    import markdown_it.helpers

    calls = []
    real = markdown_it.helpers.parseLinkDestination
    monkeypatch.setattr(markdown_it.helpers, "parseLinkDestination", lambda *a: calls.append(a) or real(*a))
    text = "# H\n\n1. **SYNTH paper 0** [pdf](https://arxiv.org/abs/2101.00000) " + "[a](" * 50 + "\n"
    sl = parse_markdown_reading_list(text, "links.md")
    assert [s.pid for s in sl.seeds] == [PaperId("arxiv", "2101.00000")]
    assert calls == []


# --- 2. deeply nested JSON -----------------------------------------------------------------------------

@pytest.mark.parametrize("deep", ["[" * 100_000 + "]" * 100_000,
                                  '{"a":' * 100_000 + "1" + "}" * 100_000,
                                  '[{"id": "a", "title": "SYNTH ok", "DOI": "10.9999/synth.1"}, '
                                  + "[" * 100_000 + "]" * 100_000 + "]"])
def test_deeply_nested_json_is_one_problem_not_a_recursion_error(tmp_path, deep):
    f = tmp_path / "deep.json"
    f.write_text(deep + "\n", encoding="utf-8")
    sl = read_seeds([str(f)])
    assert [p.reason.split(";")[0] for p in sl.problems] == ["not CSL-JSON: nested too deeply"]
    # the records before the deep one still count
    assert [s.pid for s in sl.seeds] == ([PaperId("doi", "10.9999/synth.1")] if "SYNTH ok" in deep else [])


def test_deeply_nested_json_on_the_command_line_is_a_line_not_a_traceback(tmp_path):
    f = tmp_path / "deep.json"
    f.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    res = CliRunner().invoke(cli, ["related", str(f), "--offline"])
    assert res.exit_code == 1
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "nested too deeply" in res.output and "Traceback" not in res.output


# --- 3. a reading-list item whose identifier is not a link ----------------------------------------------

BARE = """# SYNTH reading

1. **SYNTH paper 0** arXiv:2101.00000
2. **SYNTH paper 1** (2001) https://arxiv.org/abs/2101.00001
3. **SYNTH paper 2** doi:10.9999/synth.2
4. **SYNTH paper 3**
5. **SYNTH lab**
   - link: https://example.org/
6. **SYNTH tip**
   - read the abstract first
7. **SYNTH paper 4** ⭐⭐
   - code: https://github.com/synth/2101.00004
   - notes: see arXiv: 2101.00005
"""


def test_an_identifier_in_an_items_text_is_taken_as_the_text_reader_takes_it(tmp_path):
    f = tmp_path / "bare.md"
    f.write_text(BARE, encoding="utf-8")
    sl = read_seeds([str(f)])
    assert [(s.pid, s.title, s.line) for s in sl.seeds] == [
        (PaperId("arxiv", "2101.00000"), "SYNTH paper 0", 3),
        (PaperId("arxiv", "2101.00001"), "SYNTH paper 1", 4),
        (PaperId("doi", "10.9999/synth.2"), "SYNTH paper 2", 5),
        # the code repository's link lends no id; the one written in the notes does
        (PaperId("arxiv", "2101.00005"), "SYNTH paper 4", 11),
    ]
    assert sl.seeds[-1].stars == 2 and sl.seeds[-1].link is None
    # a bare bold title is said as skipped; a lab's site and a tip (prose under its title) are not papers
    assert [(p.line, p.input) for p in sl.problems] == [(6, "4. **SYNTH paper 3**")]
    assert "no link, identifier or (year) note" in sl.problems[0].reason


def test_the_shipped_reading_list_still_gives_its_28_papers_and_no_skipped_line():
    from conftest import READING_LIST

    sl = read_seeds([str(READING_LIST)])
    assert len(sl.seeds) == 28 and sl.problems == []
    assert len({s.section for s in sl.seeds}) > 5


# --- 4. a skipped oversized line -----------------------------------------------------------------------

def test_a_skipped_oversized_line_is_shown_by_its_start_and_length(tmp_path):
    f = tmp_path / "huge.txt"
    f.write_text("SYNTH " + "x" * 2_000_000 + "\n", encoding="utf-8")
    (problem,) = read_seeds([str(f)]).problems
    shown = str(problem)
    assert len(shown) < 600 and "\n" not in shown
    assert shown.startswith(f"{f}:1: ") and "(2,000,006 characters)" in shown
    assert len(problem.input) == 2_000_006  # the problem keeps the whole line (for --json)


def test_a_short_skipped_line_is_shown_whole():
    shown = "x" * seed_list.SHOWN_INPUT
    problem = SeedProblem("s.txt", 3, shown, "neither an identifier nor a plausible title")
    assert str(problem) == f"s.txt:3: neither an identifier nor a plausible title: {shown!r}"


# --- 5. text that is not UTF-8 --------------------------------------------------------------------------

def test_a_command_line_seed_that_is_not_utf8_is_refused_where_it_is_read():
    # what Python makes of the argument $'Attention \xff is all' (undecodable bytes as surrogates)
    sl = read_seeds(["Attention \udcff is all", "2101.00000"])
    assert [s.pid for s in sl.seeds] == [PaperId("arxiv", "2101.00000")]
    (problem,) = sl.problems
    assert "not valid UTF-8" in problem.reason
    assert problem.input == "Attention \ufffd is all"
    str(problem).encode("utf-8")  # printable and writable as it is


def test_the_cli_blames_the_seed_not_semantic_scholar(cli_env):
    res = CliRunner().invoke(cli, ["related", "Attention \udcff is all"])
    assert res.exit_code == 1
    assert "not valid UTF-8" in res.output and "Semantic Scholar" not in res.output
    assert cli_env.request_log == []  # refused before anything was asked of the source


def test_a_json_title_that_is_not_utf8_is_refused_and_the_others_kept(tmp_path):
    f = tmp_path / "lib.json"
    f.write_text('[{"id": "a", "title": "SYNTH \\udcff title"}, {"id": "b", "title": "SYNTH good title"}]',
                 encoding="utf-8")
    sl = read_seeds([str(f)])
    assert [s.title for s in sl.seeds] == ["SYNTH good title"]
    assert [p.reason.split(" (")[0] for p in sl.problems] == ["not valid UTF-8 text"]
    json.dumps([p.input for p in sl.problems], ensure_ascii=False).encode("utf-8")


def test_a_zotero_value_that_is_not_utf8_refuses_that_item_not_the_library(tmp_path):
    lib = synth_library(tmp_path / "Zotero")
    db = sqlite3.connect(lib / "zotero.sqlite")
    db.execute("UPDATE itemDataValues SET value = CAST(X'53594E544820626F6F6B20FF' AS TEXT) "
               "WHERE value = 'SYNTH book with no identifier'")
    db.commit()
    db.close()
    sl = read_seeds([str(lib)])
    assert "SYNTH paper 1" in {s.title for s in sl.seeds}
    assert not any("book" in (s.title or "") for s in sl.seeds)
    assert any("not valid UTF-8" in p.reason and p.input == "SYNTH book \ufffd" for p in sl.problems)


def test_a_seed_file_whose_name_is_not_utf8_is_read_and_shown_with_a_replacement(tmp_path):
    name = tmp_path / "list\udcff.txt"
    name.write_text("2101.00000\n", encoding="utf-8")
    sl = read_seeds([str(name)])
    assert [s.pid for s in sl.seeds] == [PaperId("arxiv", "2101.00000")]
    assert sl.seeds[0].source.endswith("list\ufffd.txt")


# --- 6. "-" reads standard input ---------------------------------------------------------------------------



def test_dash_reads_a_seed_list_from_standard_input(cli_env, tmp_path):
    res = CliRunner().invoke(cli, ["map", "-", "2101.00001", "--out", str(tmp_path / "out"), "--name", "m",
                                   "--json", "-q"], input="# SYNTH seeds\n2101.00000\n")
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["seeds"]["total"] == 2 and summary["seeds"]["resolved"] == 2


@pytest.mark.parametrize("text, expect", [
    ("# H\n\n1. **SYNTH paper 0** https://arxiv.org/abs/2101.00000\n", [PaperId("arxiv", "2101.00000")]),
    ('[{"id": "a", "title": "SYNTH", "DOI": "10.9999/synth.1"}]', [PaperId("doi", "10.9999/synth.1")]),
    ("@article{k, title={SYNTH}, eprint={2101.00002}}\n", [PaperId("arxiv", "2101.00002")]),
    ("TY  - JOUR\nTI  - SYNTH\nDO  - 10.9999/synth.3\nER  - \n", [PaperId("doi", "10.9999/synth.3")]),
    ("\ufeff2101.00004\n", [PaperId("arxiv", "2101.00004")]),
])
def test_standard_input_is_told_apart_by_content_as_a_file_is(monkeypatch, text, expect):
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode("utf-8"))))
    sl = read_seeds(["-"])
    assert [s.pid for s in sl.seeds] == expect and sl.problems == []
    assert all(s.source == "<stdin>" for s in sl.seeds)


def test_standard_input_that_is_empty_twice_given_or_not_utf8_is_said(monkeypatch):
    import io

    from graph.errors import SeedFileError

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert ["standard input holds no seeds" in p.reason for p in read_seeds(["-"]).problems] == [True]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"2101.00000\n")))
    sl = read_seeds(["-", "-"])
    assert [s.pid for s in sl.seeds] == [PaperId("arxiv", "2101.00000")]
    assert [p.reason for p in sl.problems] == ["standard input was read already"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"SYNTH \xff title\n")))
    with pytest.raises(SeedFileError, match="not UTF-8"):
        read_seeds(["-"])


def test_dash_with_a_terminal_on_standard_input_is_refused_not_waited_on(monkeypatch):
    import io

    from graph.errors import SeedFileError

    class Terminal(io.TextIOWrapper):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(b"2101.00000\n")))
    with pytest.raises(SeedFileError, match="terminal"):
        read_seeds(["-"])


def test_standard_input_is_read_up_to_a_bound_not_until_memory_runs_out(monkeypatch):
    import io

    from graph import seeds
    from graph.errors import SeedFileError

    monkeypatch.setattr(seeds, "MAX_STDIN_BYTES", 1000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"2101.00000\n" * 200)))
    with pytest.raises(SeedFileError, match="more than"):
        read_seeds(["-"])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"2101.00000\n" * 90)))
    assert len(read_seeds(["-"]).problems) == 89  # duplicates of the first: every line was read


def test_map_shows_a_huge_skipped_line_by_its_start(cli_env, tmp_path):
    f = tmp_path / "huge.txt"
    f.write_text("2101.00000\n" + "SYNTH " + "x" * 200_000 + "\n", encoding="utf-8")
    res = CliRunner().invoke(cli, ["map", str(f), "--out", str(tmp_path / "out"), "--name", "m"])
    assert res.exit_code == 0, res.output[:2000]
    assert max(len(line) for line in res.output.splitlines()) < 1_000
    assert "(200,006 characters)" in res.output
