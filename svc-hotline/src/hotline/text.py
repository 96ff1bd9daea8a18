"""Chinese word segmentation (分词) with jieba, shared by the knowledge base's search and the topic pool.
The dictionary loads once per process (about a second; :func:`warm_up` does it at start-up, off the
request path); terms of the hotline's own trade are added so that they stay whole."""

from __future__ import annotations

import logging
import re
import threading

import jieba

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
    进行 需要 是否 情况 说 想 去 来 看 不 没 很 太 再 已 该 个 号 的话 上 下 里 中 后 前"""
STOPWORDS = frozenset(_STOP.split())

_WORD = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_lock = threading.Lock()
_tokenizer: jieba.Tokenizer | None = None


def tokenizer() -> jieba.Tokenizer:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                jieba.setLogLevel(logging.WARNING)
                made = jieba.Tokenizer()
                made.initialize()
                for term in DOMAIN_TERMS:
                    made.add_word(term, freq=200000)
                _tokenizer = made
    return _tokenizer


def warm_up() -> None:
    """Load the dictionary now (blocking: call it in a thread)."""
    tokenizer()


def _keep(word: str) -> bool:
    return len(word) >= 2 and word not in STOPWORDS and bool(_WORD.search(word))


def words(text: str) -> list[str]:
    """The meaningful words of ``text`` in order (repeats kept): for clustering and term weights."""
    return [w for w in (t.strip().lower() for t in tokenizer().lcut(text)) if _keep(w)]


def search_words(text: str) -> list[str]:
    """Words for a search index or a query: the search mode also yields the parts of long words
    (住房公积金 → 住房, 公积金, 住房公积金), so a query for either finds it."""
    return [w for w in (t.strip().lower() for t in tokenizer().lcut_for_search(text)) if _keep(w)]
