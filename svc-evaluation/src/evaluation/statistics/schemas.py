from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

GroupBy = Literal["department", "region", "item", "month", "none"]


class RatingCounts(BaseModel):
    total: int
    by_level: dict[str, int] = Field(description='"5" 非常满意 ... "1" 非常不满意')
    satisfied: int = Field(description="levels 3 to 5")
    bad: int = Field(description="levels 1 and 2 (差评)")


class RectificationCounts(BaseModel):
    total: int = Field(description="rectifications of counted bad ratings")
    rectified: int = Field(description="the rater confirmed the reply")
    measured: int = Field(description="replied, or past the due day: the base of timeliness")
    on_time: int = Field(description="first reply on or before the due day")


class ConsultationCounts(BaseModel):
    total: int
    answered: int
    measured: int = Field(description="answered, or past the due day")
    on_time: int
    judged: int = Field(description="answers the asker rated")
    satisfied: int = Field(description="answers rated 3 to 5")


class StatisticsRow(BaseModel):
    key: str | None = Field(description="department code, region code, item code or YYYY-MM; null for none")
    ratings: RatingCounts
    satisfaction_rate: float | None = Field(description="satisfied / total, 4 decimals; null without ratings")
    rectifications: RectificationCounts
    rectification_rate: float | None = Field(description="rectified / total")
    timeliness_rate: float | None = Field(description="on_time / measured")
    consultations: ConsultationCounts
    consultation_on_time_rate: float | None = Field(description="on_time / measured")


class StatisticsRead(BaseModel):
    group_by: GroupBy
    region: str | None
    department: str | None
    item_code: str | None
    date_from: date | None
    date_to: date | None
    rows: list[StatisticsRow]
    totals: StatisticsRow


class RankingRow(BaseModel):
    rank: int
    department: str
    ratings: int
    satisfaction_rate: float | None
    bad: int
    rectification_rate: float | None
    timeliness_rate: float | None


class RankingRead(BaseModel):
    region: str | None
    date_from: date | None
    date_to: date | None
    rows: list[RankingRow]
