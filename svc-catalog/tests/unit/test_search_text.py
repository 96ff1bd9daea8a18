from __future__ import annotations

from catalog.search.text import keyword_term, query_terms, terms, weighted_terms
from gov_standards.regions import ancestors, level, region_covers


def test_bigrams_and_characters_of_chinese_and_words_of_ascii() -> None:
    assert terms("食品经营 SC认证") == {"食", "品", "经", "营", "食品", "品经", "经营", "sc", "认", "证", "认证"}


def test_queries_use_bigrams_or_one_character() -> None:
    assert query_terms("营业执照") == {"营业", "业执", "执照"}
    assert query_terms("证") == {"证"}
    assert query_terms("ＳＣ") == {"sc"}  # full-width folded by NFKC


def test_each_term_keeps_its_best_field_and_keywords_are_whole_terms() -> None:
    weights = weighted_terms(
        {"name": ["食品经营许可"], "legal_basis": ["《中华人民共和国食品安全法》"], "keywords": ["餐饮"]}
    )
    assert weights["食品"] == 10.0
    assert weights["安全"] == 1.0
    assert weights[keyword_term("餐饮")] == 60.0


def test_region_subtrees() -> None:
    assert level("450000") == "province" and level("450100") == "city" and level("450103") == "county"
    assert region_covers("450000", "451402") and region_covers("450100", "450103") and region_covers("450103", "450103")
    assert not region_covers("450100", "450203") and not region_covers("450103", "450100")
    assert ancestors("450103") == ["450000", "450100", "450103"]
    assert ancestors("450000") == ["450000"]
