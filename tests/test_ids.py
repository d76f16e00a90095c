import re

import pytest
from hypothesis import assume, given, strategies as st

from graph.errors import SeedError
from graph.ids import PaperId, alias_key, arxiv_year, normalise_identifier, normalise_title

new_arxiv = st.builds(lambda yy, mm, n, w: f"{yy:02d}{mm:02d}.{n:0{w}d}",
                      st.integers(7, 29), st.integers(1, 12), st.integers(0, 9999), st.sampled_from([4, 5]))
versions = st.one_of(st.just(""), st.integers(1, 20).map(lambda v: f"v{v}"))


@given(new_arxiv, versions, st.sampled_from([
    "{id}{v}", "arXiv:{id}{v}", "ARXIV: {id}{v}", "https://arxiv.org/abs/{id}{v}",
    "http://arxiv.org/pdf/{id}{v}.pdf", "https://arxiv.org/pdf/{id}{v}", "https://doi.org/10.48550/arXiv.{id}{v}",
]))
def test_every_arxiv_spelling_normalises_to_the_bare_id(arxiv_id, version, template):
    pid = normalise_identifier(template.format(id=arxiv_id, v=version))
    assert pid == PaperId("arxiv", arxiv_id)
    assert alias_key(pid) == f"arxiv:{arxiv_id}"


@given(st.from_regex(r"10\.[0-9]{4,6}/[A-Za-z0-9._;()/:-]{1,30}", fullmatch=True))
def test_dois_are_case_folded_and_prefix_insensitive(doi):
    forms = [doi, doi.upper(), f"doi:{doi}", f"https://doi.org/{doi}", f"https://dx.doi.org/{doi}"]
    assume(not doi.lower().startswith("10.48550/arxiv."))  # arXiv DOIs become arXiv IDs (tested above)
    got = {normalise_identifier(f) for f in forms}
    # sentence punctuation after it goes, as after any identifier, unless no DOI would be left
    trimmed = doi.lower().rstrip(".,;:")
    assert got == {PaperId("doi", trimmed if re.fullmatch(r"10\.[0-9]{4,9}/\S+", trimmed) else doi.lower().rstrip("."))}


@pytest.mark.parametrize("written, expected", [
    ("2205.14135.", PaperId("arxiv", "2205.14135")), ("arXiv:2205.14135.", PaperId("arxiv", "2205.14135")),
    ("arXiv:2205.14135,", PaperId("arxiv", "2205.14135")), ("10.18653/v1/N19-1423.", PaperId("doi", "10.18653/v1/n19-1423")),
    ("10.18653/v1/N19-1423;", PaperId("doi", "10.18653/v1/n19-1423")), ("CorpusId:13756489.", PaperId("corpus", "13756489")),
    ("204e3073870fae3d05bcbc2f6a8e263d9b72e776.", PaperId("s2", "204e3073870fae3d05bcbc2f6a8e263d9b72e776")),
    ("https://arxiv.org/abs/2205.14135.", PaperId("arxiv", "2205.14135")),
    ("Is attention all you need?", PaperId("title", "Is attention all you need?")),
    ("Attention is all you need.", PaperId("title", "Attention is all you need.")),
])
def test_trailing_punctuation_is_handled_alike_for_every_kind(written, expected):
    assert normalise_identifier(written) == expected


_NO_WORD_CHARACTER = st.characters(blacklist_categories=("L", "N", "M", "Pc")).filter(lambda c: not re.match(r"\w", c))


@given(st.text(_NO_WORD_CHARACTER, min_size=1, max_size=40))
def test_text_without_letters_or_digits_is_refused_and_named(text):
    # nothing to match a title on (no word character) and no identifier: the error says so, and names it
    with pytest.raises(SeedError) as err:
        normalise_identifier(text)
    if text.strip():
        assert "no letters or digits" in str(err.value) and repr(text.strip())[:10] in str(err.value)
    else:
        assert "empty identifier" in str(err.value)


@given(st.text(min_size=1, max_size=80))
def test_normalisation_is_idempotent(text):
    assume(re.search(r"\w", text))
    # an "arXiv:" prefix promises an arXiv ID: without a valid one it is refused (the test below), not a title
    assume(not re.match(r"(?i)\s*arxiv\s*:", text))
    pid = normalise_identifier(text)  # text with a letter or digit always reads as an ID or a title
    again = normalise_identifier(pid.value if pid.kind != "corpus" else f"CorpusId:{pid.value}")
    if pid.kind in {"arxiv", "doi", "s2", "corpus", "url"}:
        assert again == pid
    else:
        assert again.kind == "title" and normalise_title(again.value) == normalise_title(pid.value)


@pytest.mark.parametrize("text", ["ARXIV:", "arXiv: attention is all you need", " arxiv:2205", "arXiv:1706.0376x"])
def test_an_arxiv_prefix_without_a_valid_id_is_refused_not_read_as_a_title(text):
    with pytest.raises(SeedError) as err:
        normalise_identifier(text)
    assert "has an arXiv: prefix but no valid arXiv ID after it" in str(err.value)


@pytest.mark.parametrize("text,expected", [
    ("CorpusId:215416146", PaperId("corpus", "215416146")),
    ("corpusid: 0042", PaperId("corpus", "42")),
    ("649DEF34F8BE52C8B66281AF98AE884C09AEF38B", PaperId("s2", "649def34f8be52c8b66281af98ae884c09aef38b")),
    ("https://www.semanticscholar.org/paper/Attention-is-All-you-Need-Vaswani/"
     "204e3073870fae3d05bcbc2f6a8e263d9b72e776", PaperId("s2", "204e3073870fae3d05bcbc2f6a8e263d9b72e776")),
    ("https://api.semanticscholar.org/CorpusID:13756489", PaperId("corpus", "13756489")),
    ("hep-th/9901001v2", PaperId("arxiv", "hep-th/9901001")),
    ("math.GT/0309136", PaperId("arxiv", "math.GT/0309136")),
    ("https://www.usenix.org/conference/osdi22/presentation/yu",
     PaperId("url", "https://www.usenix.org/conference/osdi22/presentation/yu")),
    ("Attention Is All You Need", PaperId("title", "Attention Is All You Need")),
])
def test_known_identifier_forms(text, expected):
    assert normalise_identifier(text) == expected


@pytest.mark.parametrize("bad,named", [("", "empty identifier"), ("   ", "empty identifier"),
                                       ("arXiv:not-an-id", "'arXiv:not-an-id'"), ("!!!", "'!!!'")])
def test_bad_identifiers_raise_seed_error_naming_the_item(bad, named):
    # the message names the item (or says it is empty), so a user can find the line
    with pytest.raises(SeedError) as err:
        normalise_identifier(bad)
    assert named in str(err.value)


# the store remembers resolved seeds under these keys; stores written before the source interface
# existed used exactly these strings (then built as Semantic Scholar request ids, lower-cased), so a
# changed key would silently turn every stored seed into a cache miss
@pytest.mark.parametrize("text,key", [
    ("arXiv:1706.03762v7", "arxiv:1706.03762"),
    ("https://arxiv.org/abs/math.GT/0309136", "arxiv:math.gt/0309136"),
    ("10.1145/3127479.3129250", "doi:10.1145/3127479.3129250"),
    ("https://doi.org/10.1109/ISCA.2016.40", "doi:10.1109/isca.2016.40"),
    ("CorpusId:013756489", "corpusid:13756489"),
    ("649DEF34F8BE52C8B66281AF98AE884C09AEF38B", "649def34f8be52c8b66281af98ae884c09aef38b"),
    ("  Attention Is All You Need! ", "title:attention is all you need"),
])
def test_alias_keys_are_the_ones_existing_stores_hold(text, key):
    assert alias_key(normalise_identifier(text)) == key


def test_a_url_has_no_alias_key():
    with pytest.raises(SeedError, match="not a paper ID"):
        alias_key(PaperId("url", "https://example.org/paper"))


def test_arxiv_year():
    assert arxiv_year("2307.09288") == 2023
    assert arxiv_year("hep-th/9901001") is None
    assert arxiv_year("1713.00001") is None


@given(st.integers(min_value=0, max_value=10**15))
def test_a_corpus_paper_id_reads_back_as_its_row_and_as_a_seed(n):
    from graph.s2_ids import corpus_number, corpus_paper_id

    pid = corpus_paper_id(n)
    assert corpus_number(pid) == n and corpus_number(f" {pid.lower()} ") == n
    assert normalise_identifier(pid) == PaperId("corpus", str(n))


@pytest.mark.parametrize("other", ["CorpusId:", "CorpusId:x7", "204e3073870fae3d05bcbc2f6a8e263d9b72e776",
                                   "CorpusId:7/refs", "arxiv:1706.03762"])
def test_other_ids_name_no_corpus_row(other):
    from graph.s2_ids import corpus_number

    assert corpus_number(other) is None
