"""Request and response bodies of the licenses, types, seals and verification APIs."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from gov_common.http import AwareDateTime
from gov_common.pagination import IsoDate


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldSpec(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    label: str = Field(min_length=1, max_length=50)
    required: StrictBool = True
    sources: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="form fields of an approved case that fill this field when the license is issued on approval",
    )


class LicenseTypeCreate(Strict):
    code: str = Field(pattern=r"^[0-9A-Z]{1,40}$", description="national license type code")
    name: str = Field(
        min_length=2, max_length=50, description="e.g. 营业执照; catalog items name the type they produce"
    )
    department_name: str = Field(min_length=2, max_length=100, description="the kind of body that issues it")
    fields: list[FieldSpec] = Field(min_length=1, max_length=50)
    validity_years: int | None = Field(default=None, ge=1, le=100, description="null = long-term (长期)")
    title: str | None = Field(default=None, max_length=50, description="document title; defaults to the name")


class LicenseTypeRead(BaseModel):
    code: str
    name: str
    department_name: str
    fields: list[FieldSpec]
    validity_years: int | None
    template: dict[str, Any]


class LicenseIssue(Strict):
    """The approver issues an approved case's license when issuing on approval could not (the form did not
    fill the type's required fields): the holder is the case's applicant, the issuer the case's department."""

    case_id: str = Field(min_length=1, max_length=80)
    type_code: str = Field(description="the license type the case's item names")
    fields: dict[str, Any]
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None


class ImportHolder(Strict):
    id_type: Literal["citizen_id", "credit_code"]
    id_number: str = Field(min_length=18, max_length=18, description="ID number or unified social credit code")
    name: str = Field(min_length=1, max_length=200)


class LicenseImport(Strict):
    """A department's own system brings a license it issued outside the platform (存量证照) into its holder's
    wallet: only a type one of the department's published items produces; the issuer is the department."""

    type_code: str = Field(max_length=40)
    holder: ImportHolder
    fields: dict[str, Any]
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None
    source_reference: str = Field(
        min_length=1, max_length=100, description="the license's number in the department's system (unique per issuer)"
    )


class StatusChange(Strict):
    reason: str = Field(min_length=2, max_length=500)


class Renewal(Strict):
    fields: dict[str, Any] | None = None
    valid_until: IsoDate | None = None


class SealInfo(BaseModel):
    algorithm: str = "SM2-with-SM3"
    signer_id: str = "1234567812345678"
    kid: str
    public_key: str = Field(description="SM2 public key, 04 || x || y, hex")
    signature: str = Field(description="DER signature over the canonical JSON of the credential, hex")


class LicenseRead(BaseModel):
    id: str
    identifier: str
    type_code: str
    type_name: str
    version: int
    previous_id: str | None
    holder_name: str
    holder_id_type: str
    holder_id_masked: str
    issuer: dict[str, str]
    region: str | None = Field(description="the issuing case's region (null for licenses issued before regions)")
    fields: dict[str, Any]
    valid_from: date
    valid_until: date | None
    status: str
    status_reason: str | None
    case_id: str | None
    source_reference: str | None = Field(default=None, description="an imported license's number at its issuer")
    issued_at: AwareDateTime
    credential_jwt: str = Field(description="the W3C VC 2.0 as vc+jwt (ES256)")
    seal: SealInfo
    verify_url: str


class LicensePage(BaseModel):
    items: list[LicenseRead]
    next_cursor: str | None


class SealRotated(BaseModel):
    kid: str = Field(description="the new signing key's id (the old one stays in the issuer document)")
    created_at: AwareDateTime


class Sm2Key(BaseModel):
    kid: str
    public_key: str = Field(description="the uncompressed SM2 public key, hex (04 || x || y)")
    signer_id: str = Field(description="the SM2 signer id (GB/T 35276 default)")
    retired_at: AwareDateTime | None


class Jwks(BaseModel):
    keys: list[dict[str, Any]] = Field(description="public JWKs (RFC 7517)")


class IssuerRead(BaseModel):
    """An issuing department's public keys, old ones included, for verifiers."""

    code: str
    name: str
    jwks: Jwks
    sm2_keys: list[Sm2Key]


class VerifyRequest(Strict):
    credential: str | None = Field(default=None, max_length=20000, description="the vc+jwt")
    identifier: str | None = Field(default=None, max_length=120, description="the identifier from the QR code")
    holder_id: str | None = Field(
        default=None,
        min_length=18,
        max_length=18,
        description=(
            "an ID number or credit code the holder showed you: the answer says whether the credential's is it "
            "(a few checks per license per hour, then 429)"
        ),
    )


class VerifyResult(BaseModel):
    result: Literal["authentic", "tampered", "revoked", "suspended", "expired", "unknown"]
    identifier: str | None = None
    type_name: str | None = None
    issuer: dict[str, str] | None = None
    valid_from: str | None = None
    valid_until: str | None = None
    holder_name_masked: str | None = None
    holder_id_matches: bool | None = Field(
        default=None,
        description="only when holder_id was sent; null too for a credential issued before keyed holder digests",
    )
    checked_at: AwareDateTime
