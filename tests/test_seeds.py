import re

from hypothesis import given, strategies as st

from graph.seeds import parse_identifier_list, parse_markdown_reading_list, read_seeds, repair_mojibake
from graph.ids import PaperId

from conftest import READING_LIST


def test_reading_list_gives_exactly_its_28_papers_in_order():
    sl = read_seeds([str(READING_LIST)])
    assert sl.problems == []
    assert len(sl.seeds) == 28
    assert sl.seeds[0].pid == PaperId("arxiv", "1706.03762")
    assert sl.seeds[0].title == "Attention Is All You Need"
    assert sl.seeds[-1].pid == PaperId("arxiv", "2006.06762")
    arxiv = [s for s in sl.seeds if s.pid.kind == "arxiv"]
    assert len(arxiv) == 25


def test_reading_list_line_numbers_point_at_the_entry():
    lines = READING_LIST.read_text(encoding="utf-8").splitlines()
    for seed in read_seeds([str(READING_LIST)]).seeds:
        assert seed.title in lines[seed.line - 1]


def test_entries_without_a_paper_id_are_resolved_by_title():
    sl = read_seeds([str(READING_LIST)])
    titles = {s.title: s for s in sl.seeds if s.pid.kind == "title"}
    assert set(titles) == {
        "Orca: A Distributed Serving System for Transformer-Based Models",
        "NVIDIA A100 Tensor Core GPU Architecture",
        "Understanding Latency Hiding on GPUs",
    }
    assert titles["Orca: A Distributed Serving System for Transformer-Based Models"].link.startswith(
        "https://www.usenix.org/")


def test_sections_stars_and_must_read_come_from_the_list():
    by_id = {s.pid.value: s for s in read_seeds([str(READING_LIST)]).seeds}
    assert by_id["2208.07339"].section == "三、模型压缩与量化 / 量化技术"
    assert by_id["2302.13971"].section == "五、开源大模型"
    assert by_id["1706.03762"].must_read and by_id["1706.03762"].stars == 5
    assert by_id["2211.17192"].stars == 4 and not by_id["2211.17192"].must_read
    assert by_id["2112.05682"].stars is None
    assert by_id["1706.03762"].year_hint == 2017


def test_links_that_are_not_papers_are_not_seeds():
    links = {s.link for s in read_seeds([str(READING_LIST)]).seeds}
    for not_paper in ["https://arxiv.org/", "https://hai.stanford.edu/", "https://developer.nvidia.com/blog/",
                      "https://nips.cc/", "https://github.com/vllm-project/vllm", "https://www.semanticscholar.org/"]:
        assert not_paper not in links


def test_code_link_before_paper_link_is_skipped():
    text = "## S\n\n1. **Paper X** (2020)\n   - 代码：https://github.com/a/b\n   - 链接：https://arxiv.org/abs/2001.00001\n"
    sl = parse_markdown_reading_list(text, "x.md")
    assert [s.pid for s in sl.seeds] == [PaperId("arxiv", "2001.00001")]


def test_identifier_list_reports_bad_lines_and_keeps_good_ones(tmp_path):
    f = tmp_path / "ids.txt"
    f.write_text("# my list\narXiv:1706.03762\narXiv:garbage\n\n10.1145/3297858.3304014\n"
                 "1706.03762v5\nCorpusId:13756489\nAttention is all you need\n")
    sl = read_seeds([str(f)])
    assert [str(s.pid) for s in sl.seeds] == [
        "arxiv:1706.03762", "doi:10.1145/3297858.3304014", "corpus:13756489", "title:Attention is all you need"]
    problems = {(p.line, p.reason.split(" ")[0]) for p in sl.problems}
    assert (3, "'arXiv:garbage'") in problems
    assert any(p.line == 6 and "duplicate of" in p.reason and ":2" in p.reason for p in sl.problems)


def test_bibtex_prefers_eprint_then_doi_then_title_and_reports_bad_blocks(tmp_path):
    f = tmp_path / "refs.bib"
    f.write_text(
        "@article{vaswani, title={Attention is All you Need}, eprint={1706.03762}, archivePrefix={arXiv}}\n"
        "@inproceedings{tvm, title={{TVM}: An Automated Compiler}, doi={10.5555/3291168.3291211}}\n"
        "@misc{broken, title = {Never closed\n"
        "@misc{orca, title={Orca: A Distributed Serving System}, year={2022}}\n"
        "@misc{empty, note={nothing}}\n"
    )
    sl = read_seeds([str(f)])
    assert [str(s.pid) for s in sl.seeds] == [
        "arxiv:1706.03762", "doi:10.5555/3291168.3291211", "title:Orca: A Distributed Serving System"]
    assert [s.year_hint for s in sl.seeds] == [None, None, 2022]  # the year a title match uses
    reasons = " ".join(p.reason for p in sl.problems)
    assert "bad BibTeX" in reasons and "no eprint, doi" in reasons
    assert {p.line for p in sl.problems} == {3, 5}


def test_command_line_identifiers_and_files_mix(tmp_path):
    sl = read_seeds(["1706.03762", str(READING_LIST), "arXiv:"])
    assert sl.seeds[0].source == "<command line>"
    assert any("duplicate" in p.reason for p in sl.problems)  # 1706.03762 again in the list
    assert any(p.input == "arXiv:" for p in sl.problems)
    assert len(sl.seeds) == 28


@given(st.lists(st.one_of(
    st.from_regex(r"[0-9]{4}\.[0-9]{5}", fullmatch=True),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
), max_size=30))
def test_identifier_list_never_crashes_and_accounts_for_every_line(lines):
    text = "\n".join(lines)
    sl = parse_identifier_list(text, "p.txt")
    content_lines = [n for n, l in enumerate(text.splitlines(), 1) if l.strip() and not l.strip().startswith("#")]
    seen = sorted([s.line for s in sl.seeds] + [p.line for p in sl.problems])
    assert seen == content_lines


@given(st.lists(st.tuples(st.text(alphabet="abcdefgh XYZ", min_size=1, max_size=20),
                          st.from_regex(r"[0-9]{4}\.[0-9]{5}", fullmatch=True)), max_size=8))
def test_markdown_parser_finds_every_generated_entry(entries):
    md = ["# List", "", "## Section", ""]
    for i, (title, arxiv) in enumerate(entries, 1):
        md += [f"{i}. **T{title}** (2020)", f"   - 链接：https://arxiv.org/abs/{arxiv}", ""]
    sl = parse_markdown_reading_list("\n".join(md), "gen.md")
    assert [s.pid.value for s in sl.seeds] == [a for _, a in entries]
    assert [s.title for s in sl.seeds] == [" ".join(("T" + t).split()) for t, _ in entries]


# --- seed files as people have them ----------------------------------------------------------

def _as_received():
    from conftest import SHARED, _need
    return _need(SHARED / "seeds" / "ai-chips-llm-deployment.as-received.txt")


def _same_but_lost(repaired: str, clean: str) -> bool:
    """``repaired`` reads as ``clean`` where each U+FFFD stands for one character lost for good."""
    pattern = "".join("." if ch == "\ufffd" else re.escape(ch) for ch in repaired)
    return re.fullmatch(pattern, clean) is not None


def test_the_as_received_txt_gives_the_same_28_papers_and_sections_as_the_clean_copy():
    received = read_seeds([str(_as_received())])
    clean = read_seeds([str(READING_LIST)])
    assert received.problems == []
    assert [(s.pid, s.title, s.line, s.must_read) for s in received.seeds] == \
        [(s.pid, s.title, s.line, s.must_read) for s in clean.seeds]
    # the same grouping into sections, and each section reads as Chinese again (lost bytes aside)
    pairs = {(r.section, c.section) for r, c in zip(received.seeds, clean.seeds)}
    assert len({r for r, _ in pairs}) == len({c for _, c in pairs}) == len(pairs) == 10
    for repaired, original in pairs:
        assert _same_but_lost(repaired, original), (repaired, original)
        assert "æ" not in repaired and "ã" not in repaired
    assert any("repaired the text encoding" in n for n in received.notes)
    assert clean.notes == []


def test_mojibake_repair_leaves_clean_text_alone_and_fixes_damaged_lines():
    text = READING_LIST.read_text(encoding="utf-8")
    assert repair_mojibake(text) == (text, 0)
    damaged = "### 国际顶级实验室".encode("utf-8").decode("windows-1252")
    assert repair_mojibake(damaged) == ("### 国际顶级实验室", 1)


def test_markdown_is_recognised_by_content_whatever_the_extension(tmp_path):
    f = tmp_path / "list.txt"
    f.write_text("# List\n\n## Quantisation\n\n1. **LLM.int8()** (2022)\n   - link: https://arxiv.org/abs/2208.07339\n"
                 "2. **Some lab**\n   - site: https://lab.example.org/\n", encoding="utf-8")
    sl = read_seeds([str(f)])
    assert [(s.pid, s.section) for s in sl.seeds] == [(PaperId("arxiv", "2208.07339"), "Quantisation")]


def test_text_file_takes_ids_inside_prose_and_skips_non_titles(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text(
        "Papers I liked:\n"                                                     # 1: a label
        "- FlashAttention, see https://arxiv.org/abs/2205.14135 for details\n"  # 2: a link in prose
        "Read arXiv:2210.17323v2 first.\n"                                      # 3: an arXiv ID in prose
        "The DOI is 10.1145/3297858.3304014, cited a lot.\n"                    # 4: a DOI in prose
        "网站：https://hai.stanford.edu/\n"                                      # 5: a label and a lab site
        "## Section heading\n"                                                  # 6: markdown heading
        "We read these papers in the group every week and discuss what they mean for our own work.\n"  # 7
        "Attention is all you need\n",                                          # 8: a title
        encoding="utf-8")
    sl = read_seeds([str(f)])
    assert [(s.line, str(s.pid)) for s in sl.seeds] == [
        (2, "arxiv:2205.14135"), (3, "arxiv:2210.17323"), (4, "doi:10.1145/3297858.3304014"),
        (8, "title:Attention is all you need")]
    skipped = {p.line for p in sl.problems if "neither an identifier nor a plausible title" in p.reason}
    assert skipped == {1, 5, 7}
    assert {p.line for p in sl.problems} | {s.line for s in sl.seeds} == {1, 2, 3, 4, 5, 7, 8}


def test_a_comment_after_an_entry_is_not_part_of_it():
    text = ("2205.14135  # FlashAttention\n"
            "204e3073870fae3d05bcbc2f6a8e263d9b72e776\t# SYNTH: a tab before the comment\n"
            "SYNTH title of a paper on kernels # found on a slide\n"
            "https://arxiv.org/abs/1706.03762#section-3\n"   # a URL's fragment is no comment
            "# a whole-line comment\n")
    got = parse_identifier_list(text)
    assert got.problems == []
    assert [s.pid for s in got.seeds] == [PaperId("arxiv", "2205.14135"),
                                         PaperId("s2", "204e3073870fae3d05bcbc2f6a8e263d9b72e776"),
                                         PaperId("title", "SYNTH title of a paper on kernels"),
                                         PaperId("arxiv", "1706.03762")]
    assert [s.line for s in got.seeds] == [1, 2, 3, 4]


# -- issue 20, 14: seeds that are folders, devices, FIFOs, empty files ------------------------------------------
def _map(args, tmp_path):
    from click.testing import CliRunner

    from graph.cli import cli

    return CliRunner().invoke(cli, ["map", *args, "--store", str(tmp_path / "s.sqlite"), "--out", str(tmp_path / "out")],
                              env={"S2_API_URL": "http://127.0.0.1:9"})


def test_a_folder_given_as_a_seed_is_named_as_a_folder_not_searched_as_a_title(tmp_path, monkeypatch):
    (tmp_path / "readings").mkdir()
    monkeypatch.chdir(tmp_path)
    res = _map(["readings"], tmp_path)
    assert res.exit_code == 1 and "seed readings is a folder; give the seed files in it" in res.output, res.output
    assert "Semantic Scholar" not in res.output  # nothing was asked


def test_a_device_and_a_fifo_are_named_for_what_they_are_and_never_opened(tmp_path):
    import os

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it to read would block for good
    for item, what in (("/dev/zero", "a device"), (str(fifo), "a FIFO (named pipe)")):
        res = _map([item], tmp_path)
        assert res.exit_code == 1 and f"seed {item} is {what}, not a seed file" in res.output, res.output


def test_an_empty_seed_file_says_so_on_the_line_above_the_refusal(tmp_path):
    empty = tmp_path / "seeds.txt"
    empty.write_text("")
    res = _map([str(empty)], tmp_path)
    lines = res.output.splitlines()
    assert res.exit_code == 1 and "see the skipped lines above" in lines[-1], res.output
    assert any("the file holds no seeds (it is empty, or only comments)" in line for line in lines[:-1]), res.output


SAME_TITLE_LIST = """# SYNTH list

## Part A

1. **SYNTH Shared Title** (2019)
2. **SYNTH shared title.** (2017)
3. **SYNTH Shared Title** (2019)
4. **SYNTH shared title** (preprint)
"""


def test_read_seeds_keeps_same_titles_of_different_years(tmp_path):
    f = tmp_path / "same.md"
    f.write_text(SAME_TITLE_LIST, encoding="utf-8")
    sl = read_seeds([str(f)])
    assert [(s.line, s.year_hint) for s in sl.seeds] == [(5, 2019), (6, 2017)]
    dupes = {p.line: p.reason for p in sl.problems}
    assert dupes.keys() == {7, 8}
    assert all(r.endswith(":5") for r in dupes.values())  # both repeat the first, of 2019 and of no year
