from __future__ import annotations

import uuid

from pydantic import BaseModel, Field

from gov_common.http import AwareDateTime


class Representative(BaseModel):
    id: uuid.UUID
    number: str
    title: str


class TopicRead(BaseModel):
    id: uuid.UUID
    label: str
    keywords: list[str]
    size: int = Field(description="orders of the topic in the caller's region")
    weeks: dict[str, int] = Field(description="orders per ISO week (YYYY-Www), China time")
    regions: dict[str, int]
    representatives: list[Representative]


class TopicPool(BaseModel):
    computed_at: AwareDateTime | None
    orders: int = Field(description="orders the computation grouped")
    method: dict[str, object] = Field(description="the parameters: k chosen by silhouette, min_df, max_df, ...")
    topics: list[TopicRead]
