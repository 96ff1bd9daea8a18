"""The topic pool's method (主题池), no I/O:

1. each order's title and content are segmented by jieba (:mod:`hotline.text`, stop words removed);
2. TF-IDF over the words (scikit-learn's ``TfidfVectorizer``: sublinear tf, smooth idf, l2 norm; words in
   fewer than ``min_df`` orders or in more than ``max_df`` of them are left out);
3. k-means (scikit-learn, ``n_init`` runs, fixed seed) for each k from ``k_min`` to ``k_max`` (2 to 12); the k with the best mean
   cosine silhouette is kept;
4. a topic's keywords are the heaviest words of its centroid; its representative orders the nearest ones.

New orders between two computations join the topic whose centroid is nearest by cosine over the same
vocabulary and idf (pure Python, :func:`place`), when the similarity reaches ``min_similarity``.
scikit-learn is imported here only, when a computation runs (in a process of its own, never a request's).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Params:
    k_min: int = 2
    k_max: int = 12
    min_df: int = 2
    max_df: float = 0.5
    n_init: int = 10
    seed: int = 0
    keywords: int = 5
    centroid_terms: int = 60
    representatives: int = 3
    min_similarity: float = 0.1


@dataclass
class Cluster:
    members: list[int]
    keywords: list[str]
    centroid: dict[str, float]
    representatives: list[int]


@dataclass
class Clustering:
    k: int
    silhouette: float
    idf: dict[str, float]
    clusters: list[Cluster] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)


def cluster(documents: Sequence[Sequence[str]], params: Params = Params()) -> Clustering:
    """Group ``documents`` (each a list of words) into topics."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import silhouette_score

    n = len(documents)
    vectorizer = TfidfVectorizer(
        analyzer=lambda words: words, min_df=params.min_df, max_df=params.max_df, sublinear_tf=True, norm="l2"
    )
    matrix = vectorizer.fit_transform([list(d) for d in documents])
    vocabulary = vectorizer.get_feature_names_out()
    idf = {str(t): float(v) for t, v in zip(vocabulary, vectorizer.idf_, strict=True)}
    best: tuple[float, int, Any] | None = None
    for k in range(params.k_min, min(params.k_max, n - 1) + 1):
        model = KMeans(n_clusters=k, n_init=params.n_init, random_state=params.seed).fit(matrix)
        if len(set(model.labels_)) < 2:
            continue
        score = float(silhouette_score(matrix, model.labels_, metric="cosine", random_state=params.seed))
        if best is None or score > best[0]:
            best = (score, k, model)
    if best is None:
        return Clustering(k=0, silhouette=0.0, idf=idf)
    score, k, model = best
    labels = [int(x) for x in model.labels_]
    result = Clustering(k=k, silhouette=round(score, 4), idf=idf, labels=labels)
    for c in range(k):
        members = [i for i, label in enumerate(labels) if label == c]
        if not members:
            continue
        centre = np.asarray(model.cluster_centers_[c])
        top = np.argsort(-centre)[: params.centroid_terms]
        centroid = {str(vocabulary[j]): round(float(centre[j]), 6) for j in top if centre[j] > 0}
        sims = (matrix[members] @ centre).ravel()
        nearest = [members[int(j)] for j in np.argsort(-np.asarray(sims))[: params.representatives]]
        result.clusters.append(
            Cluster(
                members=members, keywords=list(centroid)[: params.keywords], centroid=centroid, representatives=nearest
            )
        )
    return result


def vector(words: Sequence[str], idf: Mapping[str, float]) -> dict[str, float]:
    """An order's TF-IDF vector as the vectorizer makes it (sublinear tf × idf, l2-normalised)."""
    counts = Counter(w for w in words if w in idf)
    raw = {w: (1 + math.log(c)) * idf[w] for w, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in raw.values())) or 1.0
    return {w: v / norm for w, v in raw.items()}


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    dot = sum(v * b.get(w, 0.0) for w, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def place(
    words: Sequence[str],
    idf: Mapping[str, float],
    centroids: Mapping[Any, Mapping[str, float]],
    *,
    min_similarity: float,
) -> Any | None:
    """The key of the centroid nearest to ``words`` (None when none is similar enough)."""
    v = vector(words, idf)
    if not v:
        return None
    scored = [(cosine(v, c), key) for key, c in centroids.items()]
    if not scored:
        return None
    best, key = max(scored, key=lambda t: t[0])
    return key if best >= min_similarity else None


def purity(labels: Sequence[int], truth: Sequence[str]) -> float:
    """Σ over clusters of its most common true label's count, over all items."""
    by_cluster: dict[int, Counter[str]] = {}
    for label, true in zip(labels, truth, strict=True):
        by_cluster.setdefault(label, Counter())[true] += 1
    return sum(c.most_common(1)[0][1] for c in by_cluster.values()) / len(labels) if labels else 0.0
