from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field


class DepartmentFigures(BaseModel):
    """One department's figures over the period (orders assigned to it in the period; callbacks in it).
    Rates are fractions (0..1), None when nothing was counted; the formulas are in the operation's text."""

    department: str
    department_name: str | None
    dispatched: int
    responded_in_time: int
    answered: int
    answered_on_time: int
    answered_orders: int
    callbacks: int
    solved: int
    satisfied: int
    reopened: int
    response_rate: float | None = Field(description="响应率")
    on_time_rate: float | None = Field(description="按时办结率")
    resolution_rate: float | None = Field(description="解决率")
    satisfaction_rate: float | None = Field(description="满意率")
    reopen_rate: float | None = Field(description="重办率")
    score: float | None = Field(description="composite score 0..100")
    overdue_open: int = Field(description="orders with it now, past due and unanswered (escalated)")


class SupervisionReport(BaseModel):
    region: str
    date_from: date
    date_to: date
    departments: list[DepartmentFigures]
