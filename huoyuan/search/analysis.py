"""Text analysis shared by every search backend: documents and queries become the same tokens.

- Text is normalized (NFKC: full-width letters and digits become ASCII; casefold: ``Straße`` →
  ``strasse``) and split into runs of CJK characters and runs of everything else.
- Only CJK runs go to the segmenter (rjieba). Latin words are never segmented: the segmenters break
  ``Handyhülle`` into pieces. A Latin run gives its words (letters and digits) and their stems
  (Snowball, in the document's language, or English and German when it is not known): ``bowls``
  and ``bowl`` meet at ``bowl``, ``Handyhüllen`` and ``handyhuelle`` at ``handyhull``.
- A document's CJK run gives its words in search mode (``中华人民共和国`` also gives ``人民``,
  ``共和国``), each of its characters, and the pinyin of each word and of two or three words in a
  row, so that ``shoujike`` and ``shouji`` find ``手机壳``.
- A query's Latin word is matched by itself or by its English or German stem. A query's CJK run
  gives one term per word, matched by the word itself or else by all of its characters. The same
  words are often segmented differently alone than inside a title: ``酒红碗`` alone is one unknown
  word, while ``酒红色陶瓷碗`` gives ``酒 / 红色 / 陶瓷 / 碗``. Matching the characters then still
  finds the title, and ranking prefers whole-word matches.

``matches`` is the reference meaning of a query that every backend implements (and is tested
against): every term must match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import rjieba
import Stemmer
from pypinyin import lazy_pinyin

# Longer input is cut here: a query box or a title, not a book (10 KB queries must not cost more).
MAX_CHARS = 2000
MAX_QUERY_TERMS = 16

# Han (with extension A and compatibility ideographs), kana, hangul: the scripts written without
# spaces between words.
_CJK = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
)
_CJK_RUN = re.compile(f"[{_CJK}]+")
_WORD = re.compile(r"[^\W_]+")
_STEMMERS = {"en": Stemmer.Stemmer("english"), "de": Stemmer.Stemmer("german")}
PINYIN_WINDOW = 3  # pinyin of up to this many words in a row


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One word of a query: found as the word, or (a CJK word) as all of its characters."""

    word: str
    characters: tuple[str, ...] = ()
    stems: tuple[str, ...] = ()

    def found_in(self, tokens: set[str] | frozenset[str]) -> bool:
        if self.word in tokens or any(stem in tokens for stem in self.stems):
            return True
        return bool(self.characters) and all(c in tokens for c in self.characters)


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text[:MAX_CHARS]).casefold()


def _runs(text: str) -> list[tuple[bool, str]]:
    """(is CJK, text) runs in order."""
    runs: list[tuple[bool, str]] = []
    at = 0
    for found in _CJK_RUN.finditer(text):
        if found.start() > at:
            runs.append((False, text[at : found.start()]))
        runs.append((True, found.group()))
        at = found.end()
    if at < len(text):
        runs.append((False, text[at:]))
    return runs


def _stems(word: str, languages: tuple[str, ...]) -> tuple[str, ...]:
    if word.isdigit():
        return ()
    return tuple(
        dict.fromkeys(
            stem for stem in (_STEMMERS[lang].stemWord(word) for lang in languages) if stem != word
        )
    )


def _pinyin(words: list[str]) -> list[str]:
    """Pinyin of each word of a CJK run and of up to PINYIN_WINDOW words in a row."""
    spelled = ["".join(lazy_pinyin(word)) for word in words]
    return [
        "".join(spelled[i : i + n])
        for i in range(len(spelled))
        for n in range(1, PINYIN_WINDOW + 1)
        if i + n <= len(spelled)
    ]


def document_tokens(text: str, language: str = "") -> list[str]:
    """The tokens a document is indexed under, in order (repeats kept: they weigh in ranking).

    ``language``: "en" or "de" stems Latin words in that language; anything else in both."""
    languages = (language,) if language in _STEMMERS else tuple(_STEMMERS)
    tokens: list[str] = []
    for cjk, run in _runs(normalize(text)):
        if cjk:
            tokens.extend(w for w in rjieba.cut_for_search(run) if w.strip())
            tokens.extend(run)
            tokens.extend(_pinyin([w for w in rjieba.cut(run) if w.strip()]))
        else:
            for word in _WORD.findall(run):
                tokens.append(word)
                tokens.extend(_stems(word, languages))
    return tokens


def query_terms(text: str) -> list[QueryTerm]:
    """The terms of a query, each of which a match must contain; at most MAX_QUERY_TERMS."""
    terms: list[QueryTerm] = []
    for cjk, run in _runs(normalize(text)):
        if cjk:
            for word in rjieba.cut(run):
                if not word.strip():
                    continue
                terms.append(QueryTerm(word, tuple(word) if len(word) > 1 else ()))
        else:
            terms.extend(
                QueryTerm(word, stems=_stems(word, tuple(_STEMMERS))) for word in _WORD.findall(run)
            )
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_QUERY_TERMS]


def matches(terms: list[QueryTerm], tokens: set[str] | frozenset[str]) -> bool:
    """The reference meaning of a query: every term is found in the document's tokens."""
    return bool(terms) and all(term.found_in(tokens) for term in terms)
