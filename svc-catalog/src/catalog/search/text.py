"""Terms of the Chinese full-text index: character bigrams of CJK runs (and single characters, for
one-character queries), lower-cased ASCII words. Bigrams need no dictionary, so new terms (食品经营,
出生医学证明) are found without one, and the same terms are indexed on PostgreSQL and on SQLite."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_RUNS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[a-z0-9]+")

# Field weights: a match in the name counts most, then keywords, then department and legal basis.
WEIGHTS = {"name": 10.0, "keywords": 6.0, "life_events": 4.0, "department": 3.0, "materials": 2.0, "legal_basis": 1.0}
# A whole keyword equal to the whole query ("营业执照") outranks bigram matches, not a name containing it.
KEYWORD_PREFIX = "kw:"
KEYWORD_WEIGHT = 60.0


def normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _is_cjk(run: str) -> bool:
    return not run[0].isascii()


def terms(text: str) -> set[str]:
    """Index terms of ``text``: every CJK bigram and character, every ASCII word."""
    out: set[str] = set()
    for run in _RUNS.findall(normalise(text)):
        if _is_cjk(run):
            out.update(run)
            out.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.add(run)
    return out


def keyword_term(keyword: str) -> str:
    return KEYWORD_PREFIX + "".join(normalise(keyword).split())[:37]


def query_terms(query: str) -> set[str]:
    """Terms to look up for ``query``: its bigrams, or its characters when it is one character long."""
    out: set[str] = set()
    for run in _RUNS.findall(normalise(query)):
        if _is_cjk(run) and len(run) > 1:
            out.update(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.add(run)
    return out


def weighted_terms(fields: dict[str, Iterable[str]]) -> dict[str, float]:
    """For each term, the weight of the best field it occurs in."""
    best: dict[str, float] = {}
    for field, texts in fields.items():
        weight = WEIGHTS[field]
        for text in texts:
            for term in terms(text):
                if best.get(term, 0.0) < weight:
                    best[term] = weight
    for keyword in fields.get("keywords", []):
        best[keyword_term(keyword)] = KEYWORD_WEIGHT
    return best
