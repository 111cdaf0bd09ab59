"""The embedded engine answers exactly what the analysis' reference ``matches`` says, ranks
whole-word matches first, and replaces, deletes and rolls back documents as a writer should."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huoyuan.search.analysis import document_tokens, matches, query_terms
from huoyuan.search.tantivy_engine import TantivyIndex

FRAGMENTS = [
    "酒红色",
    "陶瓷",
    "碗",
    "酒红碗",
    "手机壳",
    "透明",
    "防摔",
    "shoujike",
    "Handyhülle",
    "handyhuelle",
    "ceramic",
    "bowls",
    "bowl",
    "phone case",
    "T恤",
    "宽松",
    "短袖",
    "Straße",
    "ＴＲＡＮＳＰＡＲＥＮＴ",
    "transparent",
]

texts = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5).map(" ".join)
glued = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=3).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    corpus=st.lists(texts, min_size=1, max_size=12),
    queries=st.lists(st.one_of(texts, glued), min_size=1, max_size=4),
)
def test_the_engine_finds_exactly_what_the_reference_meaning_says(
    corpus: list[str], queries: list[str]
) -> None:
    index = TantivyIndex()
    documents = [(n, document_tokens(text)) for n, text in enumerate(corpus, start=1)]
    with index.writer() as writer:
        writer.upsert(documents)
    for query in queries:
        terms = query_terms(query)
        expected = {n for n, tokens in documents if matches(terms, set(tokens))}
        found = {n for n, _score in index.search(terms, limit=len(corpus) + 1)}
        assert found == expected, (query, terms)


def test_whole_word_matches_rank_above_matches_by_characters() -> None:
    index = TantivyIndex()
    with index.writer() as writer:
        writer.upsert(
            [
                (1, document_tokens("瓷器 陶罐 饭碗")),  # 陶, 瓷 and 碗, but not the words
                (2, document_tokens("酒红色陶瓷碗")),
            ]
        )
    assert [n for n, _s in index.search(query_terms("陶瓷碗"))] == [2, 1]


def test_upsert_replaces_delete_removes_and_an_error_rolls_back(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path / "index")
    with index.writer() as writer:
        writer.upsert([(1, document_tokens("Ceramic Bowl", "en")), (2, document_tokens("玻璃杯"))])
    assert index.count() == 2
    with index.writer() as writer:
        writer.upsert([(1, document_tokens("Tea Cup", "en"))])
        writer.delete([2])
    assert index.search(query_terms("bowl")) == []
    assert [n for n, _s in index.search(query_terms("cups"))] == [1]
    assert index.count() == 1
    with pytest.raises(RuntimeError):
        _write_then_fail(index)
    assert index.search(query_terms("vase")) == []
    # Another process (here: another handle on the same folder) reads what was committed.
    assert TantivyIndex(tmp_path / "index").count() == 1


def _write_then_fail(index: TantivyIndex) -> None:
    with index.writer() as writer:
        writer.upsert([(3, document_tokens("Vase", "en"))])
        raise RuntimeError("the task failed half-way")


def test_one_writer_at_a_time(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path / "index")
    with index.writer(), pytest.raises(ValueError, match="lock"), index.writer():
        pass
    with index.writer() as writer:  # released once the first is done
        writer.upsert([(1, ["x"])])
    assert index.count() == 1


@pytest.mark.parametrize("query", ["", "!!!", '"(:*', "x" * 10_000])
def test_malformed_queries_answer_without_error(query: str) -> None:
    index = TantivyIndex()
    with index.writer() as writer:
        writer.upsert([(1, document_tokens("Ceramic Bowl"))])
    assert isinstance(index.search(query_terms(query)), list)
