"""Tables of svc-certificates. Only this service reads or writes them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from gov_common.db import new_metadata
from gov_common.idempotency import IdempotencyRecordMixin


class Base(DeclarativeBase):
    metadata = new_metadata()


metadata = Base.metadata


class LicenseType(Base):
    """A kind of license (营业执照...): its national type code, fields, validity rule and template."""

    __tablename__ = "license_type"
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    department_name: Mapped[str] = mapped_column(sa.String(100))  # the kind of body that issues it
    fields: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)  # [{name, label, required}]
    validity_years: Mapped[int | None] = mapped_column(sa.Integer)  # None = long-term (长期)
    template: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # {title, field_order}
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class ItemLicense(Base):
    """Read model of catalog.item.published: which item produces which license type (by name)."""

    __tablename__ = "item_license"
    implementation_code: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    item_name: Mapped[str] = mapped_column(sa.String(100))
    department_code: Mapped[str] = mapped_column(sa.String(18))
    department_name: Mapped[str] = mapped_column(sa.String(100))
    license_type_name: Mapped[str | None] = mapped_column(sa.String(50))
    # catalog.item.withdrawn: the department no longer offers it (its type is no longer importable by it)
    withdrawn_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class ApprovedCase(Base):
    """Read model of workflow.case.approved for items that produce a license: what an approver may issue
    by hand (the type the item names, to the case's applicant, by the case's department) when issuing on
    approval could not complete (fields the form did not fill)."""

    __tablename__ = "approved_case"
    case_id: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    item_code: Mapped[str] = mapped_column(sa.String(80))
    region: Mapped[str] = mapped_column(sa.String(12))
    department_code: Mapped[str] = mapped_column(sa.String(18))
    department_name: Mapped[str] = mapped_column(sa.String(100))
    license_type_name: Mapped[str] = mapped_column(sa.String(50))
    applicant_kind: Mapped[str] = mapped_column(sa.String(20))  # citizen | enterprise
    applicant_subject: Mapped[str] = mapped_column(sa.String(80))
    applicant_enterprise: Mapped[str | None] = mapped_column(sa.String(18))
    holder_name: Mapped[str] = mapped_column(sa.String(200))  # as workflow names the holder
    approved_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Seal(Base):
    """A department's e-seal (电子印章); its keys are in seal_key, one current at a time."""

    __tablename__ = "seal"
    department_code: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    department_name: Mapped[str] = mapped_column(sa.String(100))
    next_status_index: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class SealKey(Base):
    __tablename__ = "seal_key"
    kid: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    department_code: Mapped[str] = mapped_column(sa.ForeignKey("seal.department_code"), index=True)
    vc_private_enc: Mapped[str] = mapped_column(sa.Text)
    vc_public_jwk: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    sm2_private_enc: Mapped[str] = mapped_column(sa.Text)
    sm2_public_hex: Mapped[str] = mapped_column(sa.String(130))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))  # signs no more; verifies


class StatusList(Base):
    """One W3C Bitstring Status List per issuing department and purpose (revocation, suspension)."""

    __tablename__ = "status_list"
    department_code: Mapped[str] = mapped_column(sa.String(18), primary_key=True)
    purpose: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    bits: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class License(Base):
    __tablename__ = "license"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    identifier: Mapped[str] = mapped_column(sa.String(120), unique=True)
    type_code: Mapped[str] = mapped_column(sa.ForeignKey("license_type.code"))
    type_name: Mapped[str] = mapped_column(sa.String(50))
    version: Mapped[int] = mapped_column(sa.Integer)
    previous_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    holder_id_type: Mapped[str] = mapped_column(sa.String(20))  # citizen_id | credit_code
    holder_id_enc: Mapped[str] = mapped_column(sa.Text)  # AES-GCM under the master key
    holder_id_index: Mapped[str] = mapped_column(sa.String(64), index=True)  # keyed hash (blind index)
    holder_name: Mapped[str] = mapped_column(sa.String(200))
    holder_subject: Mapped[str | None] = mapped_column(sa.String(80), index=True)  # identity account id
    issuer_code: Mapped[str] = mapped_column(sa.ForeignKey("seal.department_code"), index=True)
    issuer_name: Mapped[str] = mapped_column(sa.String(100))
    region: Mapped[str | None] = mapped_column(sa.String(12), index=True)  # the issuing case's (null before 0003)
    fields: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(20))  # active | suspended | revoked | superseded
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    status_index: Mapped[int] = mapped_column(sa.Integer)
    case_id: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    kid: Mapped[str] = mapped_column(sa.ForeignKey("seal_key.kid"))
    vc_jwt_enc: Mapped[str] = mapped_column(sa.Text)  # the credential names the holder: encrypted at rest
    sm2_signature: Mapped[str] = mapped_column(sa.Text)  # hex DER over canonical(credential)
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)
    # Imported from the issuing department's own system: its licence number there, and which client sent it.
    source_reference: Mapped[str | None] = mapped_column(sa.String(100))
    imported_by: Mapped[str | None] = mapped_column(sa.String(80))
    __table_args__ = (
        sa.UniqueConstraint("issuer_code", "source_reference", name="uq_license_issuer_source_reference"),
    )


class HolderLink(Base):
    """A citizen's account and the blind index of their ID number, remembered the first time the wallet
    asked identity, so that licences imported for the ID number (no account named) show in the wallet
    without asking again. The ID number itself is not kept."""

    __tablename__ = "holder_link"
    subject: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    id_index: Mapped[str] = mapped_column(sa.String(64), index=True)
    linked_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


class Grant(Base):
    """The holder lets a department or an application use one license (免提交) for a purpose, until expiry."""

    __tablename__ = "grant"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    license_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("license.id"), index=True)
    holder_key: Mapped[str] = mapped_column(sa.String(80), index=True)  # who granted: subject or enterprise
    grantee_kind: Mapped[str] = mapped_column(sa.String(20))  # department | application
    grantee: Mapped[str] = mapped_column(sa.String(80))  # department credit code or client id
    purpose: Mapped[str] = mapped_column(sa.String(300))
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))


class LicenseUse(Base):
    """Append-only log of every read of a license by someone other than its holder."""

    __tablename__ = "license_use"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    license_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("license.id"), index=True)
    holder_key: Mapped[str] = mapped_column(sa.String(80), index=True)
    user_kind: Mapped[str] = mapped_column(sa.String(20))  # staff | system
    user_subject: Mapped[str] = mapped_column(sa.String(80))
    user_department: Mapped[str | None] = mapped_column(sa.String(18))
    user_client: Mapped[str | None] = mapped_column(sa.String(80))
    basis: Mapped[str] = mapped_column(sa.String(20))  # grant | issuer
    grant_id: Mapped[uuid.UUID | None] = mapped_column(sa.Uuid)
    purpose: Mapped[str] = mapped_column(sa.String(300))
    used_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), index=True)


class IdempotencyRecord(IdempotencyRecordMixin, Base):
    """The first answer of each create sent with an ``Idempotency-Key`` (gov_common.idempotency)."""


class Notice(Base):
    """A sealed notice of a case's acceptance step (受理通知书, 不予受理通知书, 补正材料通知书), issued on the
    workflow event: the signed document holds every fact printed, sealed (SM2 over SM3) by the department."""

    __tablename__ = "notice"
    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    number: Mapped[str] = mapped_column(sa.String(40), unique=True)  # what the QR code and the paper name
    kind: Mapped[str] = mapped_column(sa.String(20))  # acceptance | refusal | supplement
    case_id: Mapped[str] = mapped_column(sa.String(80), index=True)
    application_id: Mapped[str] = mapped_column(sa.String(80))
    tracking_number: Mapped[str] = mapped_column(sa.String(40))
    region: Mapped[str] = mapped_column(sa.String(12))
    department_code: Mapped[str] = mapped_column(sa.ForeignKey("seal.department_code"), index=True)
    applicant_kind: Mapped[str] = mapped_column(sa.String(20))
    applicant_subject: Mapped[str | None] = mapped_column(sa.String(200))
    applicant_enterprise: Mapped[str | None] = mapped_column(sa.String(18))
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # what was signed (canonical JSON of it)
    kid: Mapped[str] = mapped_column(sa.ForeignKey("seal_key.kid"))
    sm2_signature: Mapped[str] = mapped_column(sa.Text)  # hex DER over canonical(document)
    issued_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
