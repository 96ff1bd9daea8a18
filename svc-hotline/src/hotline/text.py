"""Chinese word segmentation (分词) with jieba, shared by the knowledge base's search and the topic pool.
The dictionary loads once per process (about a second; :func:`warm_up` does it at start-up, off the
request path); terms of the hotline's own trade are added so that they stay whole."""

from __future__ import annotations

import logging
import re
import threading

import jieba
import jieba.posseg

# Words jieba's general dictionary splits, which the hotline's matters depend on.
DOMAIN_TERMS = (
    "公积金", "住房公积金", "社保", "社保卡", "医保", "医保卡", "养老保险", "失业保险", "停水", "停电", "水压",
    "噪音", "扰民", "广场舞", "装修", "烧烤", "路灯", "井盖", "占道经营", "物业", "电梯", "燃气", "提取",
    "异地", "转移", "缴费", "缴存", "断水", "自来水", "施工", "12345", "营业执照", "不动产", "户籍", "落户",
)  # fmt: skip

# Words that say nothing about a matter (function words, politeness, the hotline's own phrases).
_STOP = """的 了 是 在 我 你 他 她 它 我们 你们 他们 这 那 这个 那个 有 没有 就 都 也 还 又 和 与 及 或 一个 一下
    什么 怎么 怎么办 如何 为什么 哪里 哪些 多少 请问 请 您好 你好 谢谢 麻烦 希望 要求 反映 市民 来电 咨询 投诉
    问题 情况 现在 目前 已经 一直 每天 今天 昨天 最近 非常 比较 相关 部门 尽快 处理 解决 能否 可以 能 会 要
    吗 呢 吧 啊 呀 着 过 被 把 让 给 对 从 到 向 为 以 因为 所以 但是 而且 如果 然后 一些 一直 本人 自己
    进行 需要 是否 情况 说 想 去 来 看 不 没 很 太 再 已 该 个 号 的话 上 下 里 中 后 前 小区 时候 不能 一带 严重 大量
    影响 附近 旁边 路边 门口 所有 任何 经常 多次 一次 好几 很久 突然 随时 总是 还是 只能 怎么样"""
STOPWORDS = frozenset(_STOP.split())

_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
# Addresses inside a text (兴宁区民主路, 蒲庙镇, 明秀小区, 民族大道): a district, county, town or compound,
# with the road after it, or a road by its suffix. They say where, which the region field already says.
_ADDRESS = re.compile(
    r"[\u4e00-\u9fff]{1,3}(?:区|县|镇|乡)(?:[\u4e00-\u9fff]{1,3}?(?:大道|路|街|巷))?"
    r"|[\u4e00-\u9fff]{1,3}?(?:大道|东路|西路|南路|北路|中路)"
)
# Parts of speech that say where, who, when or how much, not what: place and person names, numerals,
# times, quantifiers, pronouns, function words (jieba's tag set). Regions are fields of their own.
_NOT_TOPICAL = ("ns", "nr", "m", "t", "q", "r", "p", "c", "u", "d", "f", "s", "x", "y", "e", "o", "zg")
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None
_tagger: jieba.posseg.POSTokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                made = jieba.Tokenizer()
                made.initialize()
                for term in DOMAIN_TERMS:
                    made.add_word(term, freq=200000, tag="n")
                _tokenizer = made
    return _tokenizer


def tagger() -> jieba.posseg.POSTokenizer:
    global _tagger
    if _tagger is None:
        made = jieba.posseg.POSTokenizer(tokenizer())
        with _lock:
            _tagger = _tagger or made
    return _tagger


def warm_up() -> None:
    """Load the dictionary now (blocking: call it in a thread)."""
    tagger()


def _keep(word: str) -> bool:
    return len(word) >= 2 and word not in STOPWORDS and bool(_WORD.search(word))


def words(text: str) -> list[str]:
    """The topical words of ``text`` in order (repeats kept), for clustering: no stop words, and no places,
    names, numbers or times (part-of-speech tags), which say where and when rather than what."""
    return [
        w.strip().lower()
        for w, flag in tagger().lcut(_ADDRESS.sub(" ", text))
        if not flag.startswith(_NOT_TOPICAL) and _keep(w.strip().lower())
    ]


def search_words(text: str) -> list[str]:
    """Words for a search index or a query: the search mode also yields the parts of long words
    (住房公积金 → 住房, 公积金, 住房公积金), so a query for either finds it."""
    return [w for w in (t.strip().lower() for t in tokenizer().lcut_for_search(text)) if _keep(w)]
