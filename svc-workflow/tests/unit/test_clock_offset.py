"""The business clock may run ahead for drills and end-to-end tests (WORKFLOW_CLOCK_OFFSET_SECONDS), never in
production."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from workflow.clock import Clock
from workflow.settings import Settings


def test_an_offset_clock_runs_ahead_of_the_system_clock() -> None:
    before = datetime.now(UTC)
    ahead = Clock(timedelta(days=5)).now()
    assert before + timedelta(days=5) <= ahead <= datetime.now(UTC) + timedelta(days=5)
    assert Clock().offset == timedelta(0)


def test_the_offset_comes_from_the_environment_and_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKFLOW_CLOCK_OFFSET_SECONDS", "86400")
    assert Settings().clock_offset_seconds == 86400
    with pytest.raises(ValidationError, match="clock_offset_seconds"):
        Settings(environment="production")
    monkeypatch.delenv("WORKFLOW_CLOCK_OFFSET_SECONDS")
    assert Settings(environment="production").clock_offset_seconds == 0
