from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from gov_common.http import AwareDateTime
from gov_common.pagination import IsoDate


def _check_content(valid_from: date, valid_until: date | None, keywords: list[str]) -> None:
    if valid_until is not None and valid_until < valid_from:
        raise ValueError("valid_until is before valid_from")
    if any(not (1 <= len(k) <= 30) for k in keywords):
        raise ValueError("each keyword has 1 to 30 characters")


class EntryCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=2, max_length=200)
    body: str = Field(min_length=2, max_length=20000)
    category: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    keywords: list[str] = Field(default_factory=list, max_length=20)
    region: str = Field(pattern=r"^\d{6}$", description="applies in this region subtree")
    owner_department: str = Field(pattern=r"^[0-9A-Z]{1,64}$")
    valid_from: IsoDate
    valid_until: IsoDate | None = None

    @model_validator(mode="after")
    def _period(self) -> EntryCreate:
        _check_content(self.valid_from, self.valid_until, self.keywords)
        return self


class RevisionCreate(BaseModel):
    """The whole new version of a published entry (its region stays; its owner may change)."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=500, description="why the entry changes")
    title: str = Field(min_length=2, max_length=200)
    body: str = Field(min_length=2, max_length=20000)
    category: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")
    keywords: list[str] = Field(default_factory=list, max_length=20)
    owner_department: str = Field(pattern=r"^[0-9A-Z]{1,64}$")
    valid_from: IsoDate
    valid_until: IsoDate | None = None

    @model_validator(mode="after")
    def _period(self) -> RevisionCreate:
        _check_content(self.valid_from, self.valid_until, self.keywords)
        return self


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approve: bool
    note: str = Field(default="", max_length=500)


class EntryRead(BaseModel):
    id: uuid.UUID
    title: str
    body: str
    category: str | None
    keywords: list[str]
    region: str
    owner_department: str
    status: str
    valid_from: date
    valid_until: date | None
    reviewed_at: AwareDateTime | None
    usage_count: int
    version: int
    updated_at: AwareDateTime


class ReplacedVersion(BaseModel):
    version: int
    title: str
    body: str
    category: str | None
    keywords: list[str]
    owner_department: str
    valid_from: date
    valid_until: date | None
    reviewed_by: str | None
    reviewed_at: AwareDateTime | None


class RevisionRead(BaseModel):
    id: uuid.UUID
    entry_id: uuid.UUID
    status: str = Field(description="pending (waiting for review), returned, applied")
    base_version: int
    version: int | None = Field(description="the entry's version it became, once applied")
    reason: str
    title: str
    body: str
    category: str | None
    keywords: list[str]
    owner_department: str
    valid_from: date
    valid_until: date | None
    replaced: ReplacedVersion | None = Field(description="the version it replaced, once applied")
    created_by: str
    created_at: AwareDateTime
    reviewed_by: str | None
    reviewed_at: AwareDateTime | None
    review_note: str | None


class Hit(BaseModel):
    entry: EntryRead
    score: float = Field(description="BM25 over the segmented words of title, keywords and body")
    matched: list[str] = Field(description="the query's words the entry contains")


class SearchResult(BaseModel):
    query_words: list[str]
    hits: list[Hit]
