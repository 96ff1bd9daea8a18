"""The embedded default (SQLite file, embedded log) runs the same handling and the same trace checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from gov_contracts.workflow import CaseAccepted, CaseApproved, CaseCompleted

from ..conftest import submitted


async def test_a_case_on_sqlite(tmp_path: Path, start_env: Any) -> None:
    async with start_env(f"sqlite+aiosqlite:///{tmp_path / 'workflow.db'}") as env:
        await env.publish_item()
        case = await env.submit(submitted())
        await env.act(case.id, "accept", "acceptor", {"action": "accept", "opinion": "予以受理"})
        await env.act(case.id, "review", "reviewer", {"action": "complete", "opinion": "ok"})
        await env.act(case.id, "decide", "approver", {"action": "approve", "opinion": "准予"})
        done = await env.act(case.id, "deliver", "acceptor", {"action": "complete", "opinion": "送达"})
        assert done.json()["status"] == "completed"
        assert await env.event_types(case.id) == [CaseAccepted.type, CaseApproved.type, CaseCompleted.type]
        verdict = (
            await env.client.get(f"/v1/cases/{case.id}/trace/verification", headers=env.staff("acceptor"))
        ).json()
        assert verdict["valid"] is True, verdict["problem"]
        with pytest.raises(DBAPIError, match="append-only"):
            async with env.db.transaction() as session:
                await session.execute(sa.text("DELETE FROM trace_entry"))
