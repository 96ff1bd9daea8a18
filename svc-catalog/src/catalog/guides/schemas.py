"""An item's handling guide (审查要点) as staff read it and a catalog editor writes it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gov_common.http import AwareDateTime

GUIDE_MAX = 10_000


class ReviewGuideUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    text: str = Field(
        min_length=1, max_length=GUIDE_MAX, description="the points to check, plain text (one point a line)"
    )
    expected_revision: int | None = Field(
        default=None,
        ge=0,
        le=2**31 - 1,
        description="the revision the editor started from (0: there was none); a guide changed since is a 409",
    )


class ReviewGuideRead(BaseModel):
    implementation_code: str
    item_name: str
    region: str
    department_code: str
    text: str
    revision: int = Field(description="1 for the first text, one more with each change")
    updated_by: str = Field(description="the account that wrote this revision")
    updated_at: AwareDateTime
