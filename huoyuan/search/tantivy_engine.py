"""The embedded engine: a tantivy index of the analysis' tokens (see ``analysis.py``).

A document is a product id and its tokens. The index holds the tokens joined by spaces in one text
field read by tantivy's whitespace tokenizer, so tantivy sees exactly the tokens the analysis made
(and PostgreSQL will see the same ones), and the id as an i64 field (the Python binding deletes
by an integer term only on i64 fields).

A query is the conjunction of its terms. A term is the disjunction of its word, its stems and,
for a CJK word, the conjunction of its characters. Words and stems weigh more than characters,
so whole-word matches rank first; BM25 does the rest.

One writer at a time (tantivy's lock file refuses a second): in production the worker. Readers
reload after each commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy

from huoyuan.search.analysis import QueryTerm

ID = "id"
TOKENS = "tokens"
WORD_BOOST = 2.0
WRITER_HEAP_BYTES = 64_000_000


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field(ID, stored=True, indexed=True, fast=True)
    builder.add_text_field(TOKENS, stored=False, tokenizer_name="whitespace")
    return builder.build()


class IndexWriter:
    """Adds, replaces and deletes documents; nothing is visible before the commit."""

    def __init__(self, writer: tantivy.IndexWriter) -> None:
        self._writer = writer

    def upsert(self, documents: Iterable[tuple[int, list[str]]]) -> int:
        """Index each (id, tokens), replacing what the id had; the count written."""
        count = 0
        for product_id, tokens in documents:
            self._writer.delete_documents_by_term(ID, product_id)
            document = tantivy.Document()
            document.add_integer(ID, product_id)
            document.add_text(TOKENS, " ".join(tokens))
            self._writer.add_document(document)
            count += 1
        return count

    def delete(self, ids: Iterable[int]) -> None:
        for product_id in ids:
            self._writer.delete_documents_by_term(ID, product_id)

    def clear(self) -> None:
        """Remove every document (a rebuild writes them all again before its commit)."""
        self._writer.delete_all_documents()


class TantivyIndex:
    """An index in ``path`` (created if missing), or in memory without one (tests)."""

    def __init__(self, path: Path | None = None) -> None:
        self.schema = _schema()
        if path is None:
            self._index = tantivy.Index(self.schema)
        else:
            path.mkdir(parents=True, exist_ok=True)
            self._index = tantivy.Index(self.schema, path=str(path), reuse=True)

    @contextmanager
    def writer(self) -> Iterator[IndexWriter]:
        """The index's one writer; commits on leaving the block, rolls back on an error."""
        writer = self._index.writer(heap_size=WRITER_HEAP_BYTES, num_threads=1)
        try:
            yield IndexWriter(writer)
            writer.commit()
        except BaseException:
            writer.rollback()
            raise
        finally:
            # Consumes the writer: its merges finish and the lock file is released.
            writer.wait_merging_threads()
        self._index.reload()

    def reload(self) -> None:
        """See what other processes committed since."""
        self._index.reload()

    def count(self) -> int:
        return int(self._index.searcher().num_docs)

    def _term(self, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self.schema, TOKENS, value)

    def _query(self, terms: list[QueryTerm]) -> tantivy.Query:
        must = tantivy.Occur.Must
        should = tantivy.Occur.Should
        clauses = []
        for term in terms:
            words = [self._term(w) for w in dict.fromkeys((term.word, *term.stems))]
            alternatives = [(should, tantivy.Query.boost_query(word, WORD_BOOST)) for word in words]
            if term.characters:
                characters = [(must, self._term(c)) for c in dict.fromkeys(term.characters)]
                alternatives.append((should, tantivy.Query.boolean_query(characters)))
            clauses.append((must, tantivy.Query.boolean_query(alternatives)))
        return tantivy.Query.boolean_query(clauses)

    def search(self, terms: list[QueryTerm], *, limit: int = 100) -> list[tuple[int, float]]:
        """(product id, score) of the best matches, best first; no terms, no matches."""
        if not terms:
            return []
        searcher = self._index.searcher()
        result = searcher.search(self._query(terms), limit=limit, count=False)
        return [(int(searcher.doc(address)[ID][0]), float(score)) for score, address in result.hits]
