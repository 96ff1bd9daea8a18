"""Segmentation keeps the hotline's words whole and leaves out places, numbers and stop words."""

from __future__ import annotations

from hotline import text
from hotline.topics.clustering import cosine, place, purity, vector


def test_words_and_search_words() -> None:
    words = text.words("兴宁区民主路小区停水三天了，请问住房公积金怎么提取？")
    assert "停水" in words and "住房公积金" in words and "提取" in words
    assert "兴宁区" not in words and "三天" not in words and "请问" not in words
    assert {"公积金", "住房公积金"} <= set(text.search_words("住房公积金提取"))


def test_placing_and_purity() -> None:
    idf = {"噪音": 2.0, "扰民": 2.0, "停水": 2.0, "供水": 1.5}
    centroids = {"noise": vector(["噪音", "扰民"], idf), "water": vector(["停水", "供水"], idf)}
    assert place(["噪音", "很大"], idf, centroids, min_similarity=0.1) == "noise"
    assert place(["路灯"], idf, centroids, min_similarity=0.1) is None
    assert round(cosine(centroids["noise"], centroids["noise"]), 6) == 1.0
    assert purity([0, 0, 1, 1], ["a", "a", "b", "a"]) == 0.75
