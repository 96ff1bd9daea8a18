"""Tables of svc-exchange. Only this service reads or writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import UtcDateTime, new_metadata
from gov_common.idempotency import IdempotencyRecordMixin
from gov_standards.china_time import utcnow

_BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = new_metadata()
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),  # aware UTC on SQLite too, so no reader needs to add the offset
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
    }


metadata = Base.metadata


class ExternalSystem(Base):
    """A registered city platform, department system or national platform adapter (deny by default)."""

    __tablename__ = "external_system"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    identifier: Mapped[str] = mapped_column(sa.String(200), unique=True)  # instance/level/member/system
    name: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(sa.String(20))  # city_platform | department | national
    region: Mapped[str] = mapped_column(sa.String(12))
    department: Mapped[str | None] = mapped_column(sa.String(18))
    client_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    scopes: Mapped[list[str]] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(200))


class CatalogChange(Base):
    """Append-only log of catalog changes (from catalog events); ``seq`` is the version a pull resumes from."""

    __tablename__ = "catalog_change"
    seq: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    implementation_code: Mapped[str] = mapped_column(sa.String(200), index=True)
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    operation: Mapped[str] = mapped_column(sa.String(10))  # published | withdrawn
    version: Mapped[int] = mapped_column()
    item: Mapped[dict[str, Any]] = mapped_column()
    changed_at: Mapped[datetime] = mapped_column()
    event_id: Mapped[str] = mapped_column(sa.String(64), unique=True)


class CaseRecord(Base):
    """A case the province knows of: handled by the province (workflow events), pushed by a city platform,
    or imported from a legacy system."""

    __tablename__ = "case_record"
    __table_args__ = (sa.UniqueConstraint("source", "external_id"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    source: Mapped[str] = mapped_column(sa.String(200))  # "province", a system identifier, or "legacy-import"
    external_id: Mapped[str] = mapped_column(sa.String(100))
    tracking_number: Mapped[str | None] = mapped_column(sa.String(100))
    item_code: Mapped[str] = mapped_column(sa.String(200))
    item_name: Mapped[str | None] = mapped_column(sa.String(300))
    region: Mapped[str] = mapped_column(sa.String(12), index=True)
    department: Mapped[str | None] = mapped_column(sa.String(18))
    status: Mapped[str] = mapped_column(sa.String(30))
    status_at: Mapped[datetime] = mapped_column()
    received_at: Mapped[datetime] = mapped_column()
    flags: Mapped[list[str]] = mapped_column(default=list)
    applicant_id_hash: Mapped[str | None] = mapped_column(sa.String(64))
    accepted_at: Mapped[datetime | None] = mapped_column()
    deadline: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LegacyLicense(Base):
    """A license imported from a legacy system; holder identifiers kept only as a keyed hash."""

    __tablename__ = "legacy_license"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    legacy_id: Mapped[str] = mapped_column(sa.String(100), unique=True)
    number: Mapped[str] = mapped_column(sa.String(100))
    type_code: Mapped[str] = mapped_column(sa.String(50))
    type_name: Mapped[str] = mapped_column(sa.String(200))
    issuer_code: Mapped[str] = mapped_column(sa.String(18))
    holder_id_type: Mapped[str] = mapped_column(sa.String(20))
    holder_id_hash: Mapped[str] = mapped_column(sa.String(64))
    issued_on: Mapped[str] = mapped_column(sa.String(10))
    flags: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscription"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    system_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("external_system.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    event_types: Mapped[list[str]] = mapped_column()
    # The signing secret sealed under key `secret_key_id` of the key ring, bound to this row's id
    # (exchange.keyring). Column `secret` held it in clear before exchange_0003; start-up seals it and
    # leaves "" (kept NOT NULL: changing that rebuilds the table on SQLite, which its foreign keys refuse).
    secret_key_id: Mapped[str | None] = mapped_column(sa.String(64))
    secret_ciphertext: Mapped[bytes | None] = mapped_column(sa.LargeBinary())
    clear_secret: Mapped[str] = mapped_column("secret", sa.String(100), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "event_id"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    subscription_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("webhook_subscription.id"), index=True)
    event_id: Mapped[str] = mapped_column(sa.String(64))
    event_type: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text())
    status: Mapped[str] = mapped_column(sa.String(20), index=True)  # pending | delivered | dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    last_status_code: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()


class HotlineForward(Base):
    """A 12345 work order forwarded to a city platform (``hotline.order.forwarded``) and where it stands:
    forwarded (delivered by webhook), answered, closed or returned. Only ``system`` may reply to it."""

    __tablename__ = "hotline_forward"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    order_id: Mapped[uuid.UUID] = mapped_column(index=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    region: Mapped[str] = mapped_column(sa.String(12))
    city: Mapped[str] = mapped_column(sa.String(6))
    system_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("external_system.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))  # forwarded | answered | closed | returned
    forwarded_at: Mapped[datetime] = mapped_column()
    replied_at: Mapped[datetime | None] = mapped_column()
    answer: Mapped[str | None] = mapped_column(sa.Text())
    event_id: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the forwarded event's


class NationalRow(Base):
    """A row waiting for (or sent in) an upward batch to the national platform."""

    __tablename__ = "national_row"
    row_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dataset: Mapped[str] = mapped_column(
        sa.String(30)
    )  # item | case_accept | case_process | case_result | rating | license
    operation: Mapped[str] = mapped_column(sa.String(10))  # insert | update | delete
    occurred_at: Mapped[datetime] = mapped_column()
    source: Mapped[str] = mapped_column(sa.String(200))
    record: Mapped[dict[str, Any]] = mapped_column()
    event_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    batch_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class NationalBatch(Base):
    __tablename__ = "national_batch"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rows: Mapped[int] = mapped_column()
    adapter: Mapped[str] = mapped_column(sa.String(50))
    receipt: Mapped[str | None] = mapped_column(sa.String(500))


class SharedDataset(Base):
    __tablename__ = "shared_dataset"
    code: Mapped[str] = mapped_column(sa.String(50), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    owner_department: Mapped[str] = mapped_column(sa.String(18))
    fields: Mapped[list[str]] = mapped_column()
    key_field: Mapped[str] = mapped_column(sa.String(50))
    description: Mapped[str] = mapped_column(sa.String(1000), default="")


class SharedRecord(Base):
    __tablename__ = "shared_record"
    __table_args__ = (sa.UniqueConstraint("dataset_code", "record_key"),)
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dataset_code: Mapped[str] = mapped_column(sa.ForeignKey("shared_dataset.code"))
    record_key: Mapped[str] = mapped_column(sa.String(200))
    data: Mapped[dict[str, Any]] = mapped_column()


class SharingRequest(Base):
    __tablename__ = "sharing_request"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    dataset_code: Mapped[str] = mapped_column(sa.ForeignKey("shared_dataset.code"), index=True)
    consumer_department: Mapped[str] = mapped_column(sa.String(18), index=True)
    requested_by: Mapped[str] = mapped_column(sa.String(200))
    purpose: Mapped[str] = mapped_column(sa.String(1000))
    fields: Mapped[list[str]] = mapped_column()
    valid_until: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20))  # pending | approved | refused
    decided_by: Mapped[str | None] = mapped_column(sa.String(200))
    decided_at: Mapped[datetime | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(sa.String(1000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccessAudit(Base):
    """Append-only, hash-chained: ``hash`` = SHA-256 over ``prev_hash`` and this entry's fields."""

    __tablename__ = "access_audit"
    seq: Mapped[int] = mapped_column(_BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column()
    request_id: Mapped[str] = mapped_column(sa.String(128))
    actor: Mapped[str] = mapped_column(sa.String(200))  # system identifier or principal subject
    consumer_department: Mapped[str | None] = mapped_column(sa.String(18))
    dataset_code: Mapped[str | None] = mapped_column(sa.String(50), index=True)
    owner_department: Mapped[str | None] = mapped_column(sa.String(18), index=True)
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(500))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    response_hash: Mapped[str] = mapped_column(sa.String(64))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64), unique=True)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer of each create sent with an ``Idempotency-Key`` (gov_common.idempotency)."""
