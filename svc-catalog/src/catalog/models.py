"""Tables of svc-catalog. Only this service reads or writes them.

An item (or a bundle) is a line of versions sharing one public code; a version moves draft → submitted →
published → withdrawn, and its definition is frozen once it leaves draft (a listener below refuses any
change, whatever code path tries). At most one version per code is ``is_current``: the one citizens see.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import UtcDateTime, new_metadata
from gov_common.idempotency import IdempotencyRecordMixin
from gov_standards.china_time import utcnow


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata


class _Versioned:
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    version: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    region: Mapped[str] = mapped_column(sa.String(6), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_by: Mapped[str] = mapped_column(sa.String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    published_by: Mapped[str | None] = mapped_column(sa.String(100))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ItemVersion(_Versioned, Base):
    __tablename__ = "item_version"
    __table_args__ = (
        sa.UniqueConstraint("implementation_code", "version", name="uq_item_version_code_version"),
        # At most one version per item is the one citizens see.
        sa.Index(
            "uq_item_version_current",
            "implementation_code",
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        ),
    )

    implementation_code: Mapped[str] = mapped_column(sa.String(64), index=True)
    inherits: Mapped[str | None] = mapped_column(sa.String(64))
    basic_code: Mapped[str] = mapped_column(sa.String(12), index=True)
    item_type: Mapped[str] = mapped_column(sa.String(2))
    department_code: Mapped[str] = mapped_column(sa.String(18), index=True)
    department_name: Mapped[str] = mapped_column(sa.String(100))
    service_object: Mapped[str] = mapped_column(sa.String(16))
    fully_online: Mapped[bool] = mapped_column(sa.Boolean)
    online_level: Mapped[str] = mapped_column(sa.String(4))
    promised_days: Mapped[int] = mapped_column(sa.Integer)


class ItemTerm(Base):
    """Inverted index over the current published versions: one row per (term, version)."""

    __tablename__ = "item_term"

    term: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    item_version_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("item_version.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[float] = mapped_column(sa.Float)


class ItemLifeEvent(Base):
    __tablename__ = "item_life_event"

    life_event: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    item_version_id: Mapped[uuid.UUID] = mapped_column(
        sa.Uuid, sa.ForeignKey("item_version.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class BundleVersion(_Versioned, Base):
    __tablename__ = "bundle_version"
    __table_args__ = (
        sa.UniqueConstraint("code", "version", name="uq_bundle_version_code_version"),
        sa.Index(
            "uq_bundle_version_current",
            "code",
            unique=True,
            postgresql_where=sa.text("is_current"),
            sqlite_where=sa.text("is_current"),
        ),
    )

    code: Mapped[str] = mapped_column(sa.String(64), index=True)
    life_event: Mapped[str] = mapped_column(sa.String(20), index=True)


class ItemUsage(Base):
    """How often an item's guide was read and applied for on one front-end (``source``, the reporting
    client), as that front-end last reported its running totals: anonymous, no person behind a count."""

    __tablename__ = "item_usage"

    source: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    region: Mapped[str] = mapped_column(sa.String(6), index=True)
    views: Mapped[int] = mapped_column(sa.BigInteger)
    applications: Mapped[int] = mapped_column(sa.BigInteger)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SearchUsage(Base):
    """How often a term was searched for on one front-end, as last reported (terms that may identify a person
    are never stored)."""

    __tablename__ = "search_usage"

    source: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    term: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    searches: Mapped[int] = mapped_column(sa.BigInteger)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime())


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer of each create sent with an ``Idempotency-Key`` (gov_common.idempotency)."""


class FrozenVersion(RuntimeError):
    """A programming error: code tried to change the definition of a version that left draft."""


@event.listens_for(ItemVersion, "before_update")
@event.listens_for(BundleVersion, "before_update")
def _refuse_changing_a_frozen_definition(_mapper: Any, _conn: Any, target: _Versioned) -> None:
    state = sa.inspect(target, raiseerr=True)
    history = state.attrs.definition.history
    old_status = state.attrs.status.history.deleted
    was = old_status[0] if old_status else target.status
    if history.has_changes() and was != "draft":
        raise FrozenVersion(f"version {target.id} is {was}; its definition never changes")


class ReviewGuide(Base):
    """An item's handling guide (审查要点): what staff check when they handle its cases. One per implementation
    code, kept beside the versioned definition rather than in it: internal guidance for staff, changed by the
    catalog editor at any time without a new version (and never published to citizens or in events). Region,
    department and name are the item's (the code fixes the first two), copied when the guide is written."""

    __tablename__ = "review_guide"

    implementation_code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    region: Mapped[str] = mapped_column(sa.String(6), index=True)
    department_code: Mapped[str] = mapped_column(sa.String(18))
    item_name: Mapped[str] = mapped_column(sa.String(100))
    text: Mapped[str] = mapped_column(sa.Text)
    revision: Mapped[int] = mapped_column(sa.Integer)
    updated_by: Mapped[str] = mapped_column(sa.String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
