"""The knowledge base (知识库): entries written by a department or the centre, reviewed by someone else
before they are published, valid for a period; full-text search over jieba's segmentation (BM25 over the
words of title and keywords, counted twice, and body), suggestions for an order's text, usage counts.

Search runs in two steps: the database narrows to entries containing any query word (a LIKE on the
space-separated word column, on PostgreSQL and SQLite alike), then BM25 ranks them in Python."""

from __future__ import annotations

import math
import uuid
from collections import Counter
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.auth import Principal
from gov_common.errors import Forbidden
from gov_standards.regions import region_covers
from hotline import access, text
from hotline.errors import DuplicateEntry, EntryNotFound, InvalidTransition, RevisionNotFound, RevisionPending
from hotline.knowledge.schemas import EntryCreate, ReviewIn, RevisionCreate
from hotline.models import KnowledgeEntry, KnowledgeRevision

K1, B = 1.5, 0.75
MAX_QUERY_WORDS = 24


def index_words(title: str, keywords: list[str], body: str) -> list[str]:
    return text.search_words(title) * 2 + [k.lower() for k in keywords] * 2 + text.search_words(body)


def word_column(words: list[str]) -> str:
    # Surrounded by spaces so that a LIKE '% word %' matches whole words only.
    return " " + " ".join(words) + " "


async def create_entry(
    session: AsyncSession, *, principal: Principal, entry_in: EntryCreate, now: datetime
) -> KnowledgeEntry:
    access.ensure_knowledge_editor(principal, department=entry_in.owner_department, region=entry_in.region)
    if await session.scalar(sa.select(KnowledgeEntry.id).where(KnowledgeEntry.title == entry_in.title)) is not None:
        raise DuplicateEntry()
    entry = KnowledgeEntry(
        id=uuid.uuid4(),
        title=entry_in.title,
        body=entry_in.body,
        category=entry_in.category,
        keywords=list(entry_in.keywords),
        tokens=word_column(index_words(entry_in.title, entry_in.keywords, entry_in.body)),
        region=entry_in.region,
        owner_department=entry_in.owner_department,
        status="draft",
        valid_from=entry_in.valid_from,
        valid_until=entry_in.valid_until,
        usage_count=0,
        created_by=principal.subject,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def review(
    session: AsyncSession, entry: KnowledgeEntry, *, principal: Principal, review_in: ReviewIn, now: datetime
) -> KnowledgeEntry:
    """The centre (an operator or supervisor of the entry's region) other than its author publishes a draft
    or sends it back."""
    access.ensure_supervision_reader(principal, entry.region)
    if entry.status != "draft":
        raise InvalidTransition("only a draft is reviewed", current_status=entry.status)
    if principal.subject == entry.created_by:
        raise Forbidden("an entry is reviewed by someone other than its author")
    entry.status = "published" if review_in.approve else "returned"
    entry.reviewed_by, entry.reviewed_at, entry.updated_at = principal.subject, now, now
    return entry


async def retire(
    session: AsyncSession, entry: KnowledgeEntry, *, principal: Principal, now: datetime
) -> KnowledgeEntry:
    access.ensure_knowledge_editor(principal, department=entry.owner_department, region=entry.region)
    entry.status, entry.updated_at = "retired", now
    return entry


def is_editor(principal: Principal, entry: KnowledgeEntry) -> bool:
    """The entry's owning department or the centre of its region: they propose revisions and read them."""
    return access.is_operator(principal, entry.region) or access.is_department_staff(
        principal, department=entry.owner_department, region=entry.region
    )


async def propose_revision(
    session: AsyncSession, entry: KnowledgeEntry, *, principal: Principal, revision_in: RevisionCreate, now: datetime
) -> KnowledgeRevision:
    """A new version of a published entry, waiting for review; the entry answers as before until then. One
    revision waits at a time; a new owner must be the proposer's own department (or the centre proposes)."""
    access.ensure_knowledge_editor(principal, department=entry.owner_department, region=entry.region)
    if revision_in.owner_department != entry.owner_department:
        access.ensure_knowledge_editor(principal, department=revision_in.owner_department, region=entry.region)
    if entry.status != "published":
        raise InvalidTransition("only a published entry is revised", current_status=entry.status)
    waiting = sa.select(KnowledgeRevision.id).where(
        KnowledgeRevision.entry_id == entry.id, KnowledgeRevision.status == "pending"
    )
    if await session.scalar(waiting) is not None:
        raise RevisionPending()
    await _ensure_title_free(session, revision_in.title, entry.id)
    revision = KnowledgeRevision(
        id=uuid.uuid4(),
        entry_id=entry.id,
        base_version=entry.version,
        status="pending",
        reason=revision_in.reason,
        title=revision_in.title,
        body=revision_in.body,
        category=revision_in.category,
        keywords=list(revision_in.keywords),
        owner_department=revision_in.owner_department,
        valid_from=revision_in.valid_from,
        valid_until=revision_in.valid_until,
        created_by=principal.subject,
        created_at=now,
    )
    session.add(revision)
    await session.flush()
    return revision


async def _ensure_title_free(session: AsyncSession, title: str, entry_id: uuid.UUID) -> None:
    other = sa.select(KnowledgeEntry.id).where(KnowledgeEntry.title == title, KnowledgeEntry.id != entry_id)
    if await session.scalar(other) is not None:
        raise DuplicateEntry()


async def review_revision(
    session: AsyncSession,
    entry: KnowledgeEntry,
    revision: KnowledgeRevision,
    *,
    principal: Principal,
    review_in: ReviewIn,
    now: datetime,
) -> KnowledgeRevision:
    """The centre of the entry's region, other than the proposer, applies a pending revision (the entry's
    content replaced, the old one kept in the revision, the version counted up) or sends it back."""
    access.ensure_supervision_reader(principal, entry.region)
    if revision.status != "pending":
        raise InvalidTransition("only a pending revision is reviewed", current_status=revision.status)
    if principal.subject == revision.created_by:
        raise Forbidden("a revision is reviewed by someone other than its author")
    revision.reviewed_by, revision.reviewed_at, revision.review_note = principal.subject, now, review_in.note
    if not review_in.approve:
        revision.status = "returned"
        return revision
    if entry.status != "published" or entry.version != revision.base_version:
        raise InvalidTransition("the entry changed since the revision was written", current_status=entry.status)
    await _ensure_title_free(session, revision.title, entry.id)
    revision.replaced = {
        "version": entry.version,
        "title": entry.title,
        "body": entry.body,
        "category": entry.category,
        "keywords": list(entry.keywords),
        "owner_department": entry.owner_department,
        "valid_from": entry.valid_from.isoformat(),
        "valid_until": entry.valid_until.isoformat() if entry.valid_until else None,
        "reviewed_by": entry.reviewed_by,
        "reviewed_at": entry.reviewed_at.isoformat() if entry.reviewed_at else None,
    }
    entry.title, entry.body, entry.category = revision.title, revision.body, revision.category
    entry.keywords, entry.owner_department = list(revision.keywords), revision.owner_department
    entry.valid_from, entry.valid_until = revision.valid_from, revision.valid_until
    entry.tokens = word_column(index_words(revision.title, revision.keywords, revision.body))
    entry.version += 1
    entry.reviewed_by, entry.reviewed_at, entry.updated_at = principal.subject, now, now
    revision.status, revision.version = "applied", entry.version
    return revision


async def revisions(session: AsyncSession, entry_id: uuid.UUID) -> list[KnowledgeRevision]:
    query = sa.select(KnowledgeRevision).where(KnowledgeRevision.entry_id == entry_id)
    order = (KnowledgeRevision.base_version, KnowledgeRevision.created_at, KnowledgeRevision.id)
    return list(await session.scalars(query.order_by(*order)))


async def get_revision(
    session: AsyncSession, entry_id: uuid.UUID, revision_id: uuid.UUID, *, lock: bool = False
) -> KnowledgeRevision:
    revision = await session.get(KnowledgeRevision, revision_id, with_for_update=lock)
    if revision is None or revision.entry_id != entry_id:
        raise RevisionNotFound()
    return revision


def is_current(entry: KnowledgeEntry, today: date) -> bool:
    return (
        entry.status == "published"
        and entry.valid_from <= today
        and (entry.valid_until is None or today <= entry.valid_until)
    )


def may_see(principal: Principal | None, entry: KnowledgeEntry, today: date) -> bool:
    """Everyone sees a current published entry; drafts and old ones only its editors."""
    if is_current(entry, today):
        return True
    return principal is not None and is_editor(principal, entry)


async def get_entry(session: AsyncSession, entry_id: uuid.UUID, *, lock: bool = False) -> KnowledgeEntry:
    entry = await session.get(KnowledgeEntry, entry_id, with_for_update=lock)
    if entry is None:
        raise EntryNotFound()
    return entry


def _current(today: date) -> list[sa.ColumnElement[bool]]:
    return [
        KnowledgeEntry.status == "published",
        KnowledgeEntry.valid_from <= today,
        sa.or_(KnowledgeEntry.valid_until.is_(None), KnowledgeEntry.valid_until >= today),
    ]


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search(
    session: AsyncSession,
    *,
    query: str,
    today: date,
    region: str | None = None,
    category: str | None = None,
    limit: int = 10,
) -> tuple[list[str], list[tuple[KnowledgeEntry, float, list[str]]]]:
    """Current published entries matching ``query``, best first, with their BM25 score and matched words;
    ``region``: only entries that apply there (their region covers it)."""
    words = list(dict.fromkeys(text.search_words(query)))[:MAX_QUERY_WORDS]
    if not words:
        return words, []
    where = _current(today)
    if category is not None:
        where.append(KnowledgeEntry.category == category)
    like = [KnowledgeEntry.tokens.like(f"% {_escape(w)} %", escape="\\") for w in words]
    candidates = list(await session.scalars(sa.select(KnowledgeEntry).where(*where, sa.or_(*like)).limit(500)))
    if region is not None:
        candidates = [e for e in candidates if region_covers(e.region, region)]
    if not candidates:
        return words, []
    total = await session.scalar(sa.select(sa.func.count()).select_from(KnowledgeEntry).where(*_current(today))) or 1
    counted = [(e, Counter(e.tokens.split())) for e in candidates]
    avg_len = sum(sum(c.values()) for _, c in counted) / len(counted)
    df = {w: sum(1 for _, c in counted if w in c) for w in words}
    scored = []
    for entry, counts in counted:
        length = sum(counts.values())
        score, matched = 0.0, []
        for w in words:
            tf = counts.get(w, 0)
            if not tf:
                continue
            matched.append(w)
            idf = math.log(1 + (total - df[w] + 0.5) / (df[w] + 0.5))
            score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avg_len))
        scored.append((entry, round(score, 4), matched))
    scored.sort(key=lambda t: (-t[1], t[0].title))
    return words, scored[:limit]
